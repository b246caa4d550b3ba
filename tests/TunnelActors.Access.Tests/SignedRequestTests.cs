using System.Text;
using TunnelActors.Access.Certificates;
using TunnelActors.Access.Login;

namespace TunnelActors.Access.Tests;

/// <summary>Signed management requests (`tunnel create/route/...`) and OIDC callbacks cannot be replayed or planted.</summary>
public sealed class SignedRequestTests
{
    private static readonly EdgeCertificateAuthority Origins = EdgeCertificateAuthority.Create("test origin CA");

    [Fact]
    public void SignedRequest_SentTwice_IsRefusedTheSecondTime()
    {
        using var certificate = Origins.IssueOriginCertificate("site.test", TimeSpan.FromDays(1));
        var now = DateTimeOffset.UtcNow;
        var body = Encoding.UTF8.GetBytes("{\"name\":\"backup\"}");
        var headers = OriginRequestSignature.Sign(certificate, "POST", "/cdn-cgi/tunnel/api/tunnels", body, now);
        var store = new InMemoryLoginStateStore();
        bool FirstUse(string nonce) => store.Claim("api-nonce", nonce, now + OriginRequestSignature.ReplayWindow, 1000, now);

        var first = OriginRequestSignature.Verify(Origins.Certificate, n => headers.GetValueOrDefault(n), "POST", "/cdn-cgi/tunnel/api/tunnels", body, now, FirstUse);
        var replay = Assert.Throws<OriginCredentialException>(() =>
            OriginRequestSignature.Verify(Origins.Certificate, n => headers.GetValueOrDefault(n), "POST", "/cdn-cgi/tunnel/api/tunnels", body, now.AddSeconds(30), FirstUse));

        Assert.Equal("site.test", first.Zone);
        Assert.Contains("replay", replay.Message);
    }

    [Fact]
    public void SignedRequest_WithItsNonceChanged_FailsTheSignature()
    {
        using var certificate = Origins.IssueOriginCertificate("site.test", TimeSpan.FromDays(1));
        var now = DateTimeOffset.UtcNow;
        var headers = new Dictionary<string, string>(OriginRequestSignature.Sign(certificate, "DELETE", "/cdn-cgi/tunnel/api/tunnels/x", [], now))
        {
            [OriginRequestSignature.NonceHeader] = new string('A', 32),
        };

        var error = Assert.Throws<OriginCredentialException>(() =>
            OriginRequestSignature.Verify(Origins.Certificate, n => headers.GetValueOrDefault(n), "DELETE", "/cdn-cgi/tunnel/api/tunnels/x", [], now, _ => true));
        Assert.Contains("signature does not match", error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("another-browsers-state")]
    public async Task OidcCallback_InABrowserThatDidNotStartTheSignIn_IsRefusedBeforeAnythingIsExchanged(string? browserState)
    {
        // The issuer is never contacted: the check comes before the code exchange.
        var oidc = new OidcLogin(new OidcOptions(new Uri("http://127.0.0.1:9/"), "client", "secret"), new Uri("https://edge/cb"),
            new HttpClient(), new InMemoryLoginStateStore(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<OidcLoginException>(() => oidc.CompleteAsync("code", "the-attackers-state", browserState, null, CancellationToken.None));
        Assert.Contains("not started in this browser", error.Message);
    }
}
