using System.Net;
using System.Text.RegularExpressions;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>`tunnel login`: sign in to the edge, pick a zone, receive its origin certificate, run a connector with it.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class TunnelLoginTests(EchoTunnelFixture fixture)
{
    [Fact]
    public async Task TunnelLogin_PickZone_StoresOriginCertificateThatAConnectorCanUse()
    {
        var home = Directory.CreateTempSubdirectory("home-op-").FullName;
        var login = fixture.Rig.Run("tunnel-login", new Dictionary<string, string> { ["HOME"] = home },
            "tunnel", "login", "--edge", fixture.Rig.EdgeUrl, "--ca-file", fixture.Rig.CaFile, "--no-browser");
        await login.WaitForOutput("/cdn-cgi/access/login?app=", TimeSpan.FromSeconds(30));
        var url = Regex.Match(login.Output, @"https://\S+/cdn-cgi/access/login\?\S+").Value;
        var userCode = BrowserlessLogin.UserCode(url);
        var browser = new BrowserlessLogin(fixture.Rig);

        var codePage = await browser.RequestPinAsync("127.0.0.1", userCode, "ops@example.com");
        var picker = await browser.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), await browser.PinFromEdgeLogAsync("ops@example.com", "127.0.0.1"));
        Assert.Contains("id=\"zone-site.test\"", picker.Html);
        Assert.Contains(userCode, picker.Html);
        var sent = await browser.ChooseZoneAsync("site.test", picker.Html);

        Assert.Contains("certificate-sent", sent.Html);
        Assert.Equal(0, await login.WaitForExit(TimeSpan.FromSeconds(30)));
        var certificate = Path.Combine(home, ".tunnelactors", "cert.pem");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certificate));

        var connector = await fixture.Rig.StartTunnel("fromlogin.site.test", fixture.Echo.Port, haConnections: 1, originCert: certificate);
        await connector.DisposeAsync();
    }

    [Fact]
    public async Task TunnelLogin_ZoneWithoutSession_Refused()
    {
        // A forged form without this browser's anti-forgery cookie, and one with it but without a session.
        var browser = new BrowserlessLogin(fixture.Rig);
        var forged = await browser.ChooseZoneAsync("site.test", """<input name="user_code" value="BCDF-GHJK"><input name="csrf" value="00">""");

        Assert.Equal(HttpStatusCode.Forbidden, forged.Status);
    }
}
