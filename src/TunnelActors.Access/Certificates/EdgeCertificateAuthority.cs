using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Access.Certificates;

/// <summary>
/// The edge's own CA: signs the edge's TLS certificate and the per-zone origin certificates
/// that connectors present. Clients and connectors trust it through `edge-ca.pem`.
/// </summary>
public sealed class EdgeCertificateAuthority(X509Certificate2 certificate)
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2 Certificate { get; } = certificate;

    public static EdgeCertificateAuthority Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new EdgeCertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10)));
    }

    /// <summary>The edge's TLS certificate for the given DNS names and IP addresses.</summary>
    public X509Certificate2 IssueServerCertificate(IEnumerable<string> names, TimeSpan lifetime)
    {
        var san = new SubjectAlternativeNameBuilder();
        var first = "edge";
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else { san.AddDnsName(name); first = name; }
        }
        return Issue($"CN={first}", san, ServerAuth, lifetime);
    }

    /// <summary>An origin certificate: proves its holder may route hostnames in <paramref name="zone"/>.</summary>
    public X509Certificate2 IssueOriginCertificate(string zone, TimeSpan lifetime)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(zone);
        san.AddDnsName("*." + zone);
        return Issue($"CN={zone}, O=TunnelActors origin", san, ClientAuth, lifetime);
    }

    private X509Certificate2 Issue(string subject, SubjectAlternativeNameBuilder san, Oid usage, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(Certificate, now.AddMinutes(-5), now.Add(lifetime), serial);
        return signed.CopyWithPrivateKey(key);
    }
}
