using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Access.Certificates;

/// <summary>PEM files holding a certificate and, for secret files, its private key.</summary>
public static class Pem
{
    public static string CertificateOnly(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    /// <summary>Certificate followed by its PKCS#8 private key: write it with <see cref="SecretFile"/>.</summary>
    public static string WithPrivateKey(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException($"certificate {certificate.Subject} has no ECDSA private key");
        return certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>Loads a certificate and its key from one PEM file (as written by <see cref="WithPrivateKey"/>).</summary>
    public static X509Certificate2 LoadWithPrivateKey(string path) => ParseWithPrivateKey(File.ReadAllText(path), path);

    /// <summary>Parses a certificate and its key from PEM text; <paramref name="source"/> names it in errors.</summary>
    public static X509Certificate2 ParseWithPrivateKey(string text, string source)
    {
        try
        {
            using var withKey = X509Certificate2.CreateFromPem(text, text);
            // Export/import so the key is usable everywhere (ephemeral keys cannot back TLS on some platforms).
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{source}: expected a PEM certificate and its private key ({e.Message})", e);
        }
    }

    public static X509Certificate2 LoadCertificate(string path)
    {
        try { return X509Certificate2.CreateFromPem(File.ReadAllText(path)); }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{path}: expected a PEM certificate ({e.Message})", e);
        }
    }
}
