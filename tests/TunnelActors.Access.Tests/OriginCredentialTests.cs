using System.Security.Cryptography.X509Certificates;
using TunnelActors.Access.Certificates;

namespace TunnelActors.Access.Tests;

public sealed class OriginCredentialTests
{
    private static readonly EdgeCertificateAuthority Edge = EdgeCertificateAuthority.Create("test edge");
    private static readonly X509Certificate2 Origin = Edge.IssueOriginCertificate("site.test", TimeSpan.FromDays(1));

    [Theory]
    [InlineData("smb.site.test")]
    [InlineData("deep.name.site.test")]
    [InlineData("site.test")]
    public void Verify_SignedByHolderForHostnameInZone_ReturnsZone(string hostname)
    {
        var challenge = OriginCredential.NewChallenge();
        var signature = OriginCredential.Sign(Origin, challenge, hostname, "connector-1");

        var zone = OriginCredential.Verify(Edge.Certificate, Origin.RawData, signature, challenge, hostname, "connector-1");

        Assert.Equal("site.test", zone);
    }

    [Theory]
    [InlineData("smb.other.test")]
    [InlineData("evilsite.test")]
    [InlineData("site.test.evil.com")]
    public void Verify_HostnameOutsideZone_Throws(string hostname)
    {
        var challenge = OriginCredential.NewChallenge();
        var signature = OriginCredential.Sign(Origin, challenge, hostname, "c");

        var error = Assert.Throws<OriginCredentialException>(() =>
            OriginCredential.Verify(Edge.Certificate, Origin.RawData, signature, challenge, hostname, "c"));
        Assert.Contains("outside the certificate's zone", error.Message);
    }

    [Fact]
    public void Verify_CertificateFromAnotherCa_Throws()
    {
        var foreign = EdgeCertificateAuthority.Create("other").IssueOriginCertificate("site.test", TimeSpan.FromDays(1));
        var challenge = OriginCredential.NewChallenge();
        var signature = OriginCredential.Sign(foreign, challenge, "smb.site.test", "c");

        var error = Assert.Throws<OriginCredentialException>(() =>
            OriginCredential.Verify(Edge.Certificate, foreign.RawData, signature, challenge, "smb.site.test", "c"));
        Assert.Contains("not issued by this edge", error.Message);
    }

    [Fact]
    public void Verify_SignatureOverOtherChallenge_Throws()
    {
        var signature = OriginCredential.Sign(Origin, OriginCredential.NewChallenge(), "smb.site.test", "c");

        var error = Assert.Throws<OriginCredentialException>(() =>
            OriginCredential.Verify(Edge.Certificate, Origin.RawData, signature, OriginCredential.NewChallenge(), "smb.site.test", "c"));
        Assert.Contains("signature does not match", error.Message);
    }

    [Fact]
    public void Verify_GarbageCertificate_ThrowsTypedError()
    {
        Assert.Throws<OriginCredentialException>(() =>
            OriginCredential.Verify(Edge.Certificate, [1, 2, 3], [4, 5], "x", "smb.site.test", "c"));
    }
}
