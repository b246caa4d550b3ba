using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TunnelActors.Access.Certificates;

/// <summary>
/// How a connector proves it holds an origin certificate: the edge sends a fresh random
/// challenge with the WebSocket upgrade; the connector signs challenge, hostname and
/// connector id with the certificate's key. Nothing replayable crosses the wire.
/// </summary>
public static class OriginCredential
{
    public const string ChallengeHeader = "Tunnel-Challenge";

    public static string NewChallenge() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static byte[] Sign(X509Certificate2 originCertificate, string challenge, string hostname, string connectorId)
    {
        using var key = originCertificate.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException("the origin certificate has no ECDSA private key");
        return key.SignData(SignedBytes(challenge, hostname, connectorId), HashAlgorithmName.SHA256);
    }

    /// <summary>
    /// Checks the certificate chains to the origin CA, is valid now, is made for client
    /// authentication, covers <paramref name="hostname"/>'s zone and that the signature is its
    /// holder's. Returns the zone and the certificate's serial (for revocation); throws
    /// <see cref="OriginCredentialException"/> naming the reason otherwise.
    /// </summary>
    public static VerifiedOrigin Verify(X509Certificate2 authority, byte[] certificateDer, byte[] signature,
        string challenge, string hostname, string connectorId)
    {
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadCertificate(certificateDer); }
        catch (CryptographicException) { throw new OriginCredentialException("the origin certificate does not parse"); }
        using (certificate)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!chain.Build(certificate))
                throw new OriginCredentialException(
                    $"origin certificate {certificate.Subject} is not issued by this edge ({string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))})");

            if (!CertificateUsage.Allows(certificate, CertificateUsage.ClientAuth))
                throw new OriginCredentialException($"certificate {certificate.Subject} is not an origin certificate (no client-authentication usage)");
            var zone = ZoneOf(certificate);
            if (!HostnameIsInZone(hostname, zone))
                throw new OriginCredentialException($"hostname {hostname} is outside the certificate's zone {zone}");

            using var key = certificate.GetECDsaPublicKey()
                ?? throw new OriginCredentialException("the origin certificate has no ECDSA key");
            if (!key.VerifyData(SignedBytes(challenge, hostname, connectorId), signature, HashAlgorithmName.SHA256))
                throw new OriginCredentialException("the signature does not match the origin certificate");
            return new VerifiedOrigin(zone, certificate.SerialNumber);
        }
    }

    public static string ZoneOf(X509Certificate2 certificate) =>
        certificate.GetNameInfo(X509NameType.SimpleName, false) is { Length: > 0 } cn
            ? cn.StartsWith(EdgeCertificateAuthority.ZonePrefix, StringComparison.Ordinal) && cn.Length > EdgeCertificateAuthority.ZonePrefix.Length
                ? cn[EdgeCertificateAuthority.ZonePrefix.Length..].ToLowerInvariant()
                : throw new OriginCredentialException($"certificate {certificate.Subject} is not a current origin certificate (issued before the edge split its CAs?); run `tunnelactors tunnel login` again")
            : throw new OriginCredentialException("the origin certificate names no zone");

    public static bool HostnameIsInZone(string hostname, string zone)
    {
        hostname = hostname.ToLowerInvariant();
        return hostname == zone || hostname.EndsWith("." + zone, StringComparison.Ordinal);
    }

    private static byte[] SignedBytes(string challenge, string hostname, string connectorId) =>
        Encoding.UTF8.GetBytes($"tunnelactors-register\n{challenge}\n{hostname.ToLowerInvariant()}\n{connectorId}");
}

public sealed class OriginCredentialException(string message) : Exception(message);

/// <summary>What a checked origin certificate proves: its zone, and its serial number (hex) for revocation.</summary>
public sealed record VerifiedOrigin(string Zone, string Serial);
