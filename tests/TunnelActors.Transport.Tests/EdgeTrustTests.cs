using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Transport.Tests;

/// <summary>Clients and connectors accept only a certificate made to serve, from the CA they were given.</summary>
public sealed class EdgeTrustTests : IDisposable
{
    private readonly string _caFile = Path.GetTempFileName();
    private readonly X509Certificate2 _ca;

    public EdgeTrustTests()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test server CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_caFile, _ca.ExportCertificatePem());
    }

    [Theory]
    [InlineData("1.3.6.1.5.5.7.3.1", true)]   // serverAuth: an edge certificate
    [InlineData("1.3.6.1.5.5.7.3.2", false)]  // clientAuth only: an origin certificate, even from the trusted CA
    [InlineData(null, false)]                 // no stated usage
    public void ForCaFile_AcceptsOnlyServerCertificatesFromTheCa(string? usage, bool accepted)
    {
        using var leaf = Issue(usage);
        var validate = EdgeTrust.ForCaFile(_caFile);

        Assert.Equal(accepted, validate(this, leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    private X509Certificate2 Issue(string? usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=smb.site.test", key, HashAlgorithmName.SHA256);
        if (usage is not null) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("smb.site.test");
        request.CertificateExtensions.Add(san.Build());
        return request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(8));
    }

    public void Dispose()
    {
        File.Delete(_caFile);
        _ca.Dispose();
    }
}
