using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Access.Certificates;

/// <summary>
/// One of the edge's own CAs. Each signs one kind of certificate only, so none can stand in for
/// another: the server CA (`edge-ca.pem`, what clients and connectors trust) signs the edge's TLS
/// certificates; the origin CA signs the per-zone origin certificates connectors present (client
/// authentication only, the zone in the subject as <c>zone:NAME</c> and never in a SAN, so an origin
/// certificate matches no host name); the cluster CA signs the certificates edges present to each
/// other on Akka remoting.
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

    /// <summary>The subject prefix of an origin certificate's zone: <c>CN=zone:site.test</c> is no host name.</summary>
    public const string ZonePrefix = "zone:";

    /// <summary>An origin certificate: proves its holder may route hostnames in <paramref name="zone"/>.</summary>
    public X509Certificate2 IssueOriginCertificate(string zone, TimeSpan lifetime) =>
        Issue($"CN={ZonePrefix}{zone}, O=TunnelActors origin", null, [ClientAuth], lifetime);

    /// <summary>An edge's certificate for cluster links: it both accepts and opens remoting connections.</summary>
    public X509Certificate2 IssueClusterCertificate(string node, TimeSpan lifetime)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("tunnelactors-cluster-member");
        return Issue($"CN={node}, O=TunnelActors cluster", san, [ServerAuth, ClientAuth], lifetime);
    }

    private X509Certificate2 Issue(string subject, SubjectAlternativeNameBuilder? san, Oid usage, TimeSpan lifetime) =>
        Issue(subject, san, [usage], lifetime);

    private X509Certificate2 Issue(string subject, SubjectAlternativeNameBuilder? san, Oid[] usages, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var eku = new OidCollection();
        foreach (var usage in usages) eku.Add(usage);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(eku, true));
        if (san is not null) request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(Certificate, now.AddMinutes(-5), now.Add(lifetime), serial);
        return signed.CopyWithPrivateKey(key);
    }
}
