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

        var verified = OriginCredential.Verify(Edge.Certificate, Origin.RawData, signature, challenge, hostname, "connector-1");

        Assert.Equal("site.test", verified.Zone);
        Assert.Equal(Origin.SerialNumber, verified.Serial);
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
    public void OriginCertificate_IsUselessAsAServerCertificate()
    {
        // Client authentication only, and the zone in no SAN and in no name a host could match.
        Assert.False(CertificateUsage.Allows(Origin, CertificateUsage.ServerAuth));
        Assert.True(CertificateUsage.Allows(Origin, CertificateUsage.ClientAuth));
        Assert.DoesNotContain(Origin.Extensions, e => e is X509SubjectAlternativeNameExtension);
        Assert.False(Origin.MatchesHostname("site.test"));
        Assert.False(Origin.MatchesHostname("smb.site.test"));
        Assert.Equal("site.test", OriginCredential.ZoneOf(Origin));
    }

    [Fact]
    public void Verify_ServerCertificateFromTheSameCa_IsNotAnOriginCertificate()
    {
        // Even a certificate chaining to the origin CA is refused without the client-auth usage.
        var server = Edge.IssueServerCertificate(["zone:site.test"], TimeSpan.FromDays(1));
        var challenge = OriginCredential.NewChallenge();
        using var key = server.GetECDsaPrivateKey()!;

        var error = Assert.Throws<OriginCredentialException>(() =>
            OriginCredential.Verify(Edge.Certificate, server.RawData, OriginCredential.Sign(server, challenge, "smb.site.test", "c"), challenge, "smb.site.test", "c"));
        Assert.Contains("not an origin certificate", error.Message);
    }

    [Fact]
    public void ZoneOf_CertificateFromBeforeTheCaSplit_SaysToLogInAgain()
    {
        var legacy = Edge.IssueServerCertificate(["site.test"], TimeSpan.FromDays(1)); // CN=site.test, as origin certificates once were

        var error = Assert.Throws<OriginCredentialException>(() => OriginCredential.ZoneOf(legacy));
        Assert.Contains("tunnel login", error.Message);
    }

    [Fact]
    public void Verify_GarbageCertificate_ThrowsTypedError()
    {
        Assert.Throws<OriginCredentialException>(() =>
            OriginCredential.Verify(Edge.Certificate, [1, 2, 3], [4, 5], "x", "smb.site.test", "c"));
    }
}
