using System.Net;
using System.Text.RegularExpressions;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>Signing in with a one-time PIN, the token hand-over to the CLI, and `access tcp` with a user token.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class LoginTests(EchoTunnelFixture fixture)
{
    private const string Hostname = EchoTunnelFixture.Hostname;

    [Fact]
    public async Task AccessLogin_WithOneTimePin_CachesTokenThatAccessTcpUses()
    {
        var home = Directory.CreateTempSubdirectory("home-").FullName;
        var env = new Dictionary<string, string> { ["HOME"] = home };
        var login = fixture.Rig.Run("access-login", env, "access", "login", $"https://{Hostname}",
            "--edge", fixture.Rig.EdgeUrl, "--ca-file", fixture.Rig.CaFile, "--no-browser");
        await login.WaitForOutput("/cdn-cgi/access/login?app=", TimeSpan.FromSeconds(30));
        var url = Regex.Match(login.Output, @"https://\S+/cdn-cgi/access/login\?\S+").Value;
        var userCode = BrowserlessLogin.UserCode(url);
        Assert.Contains($"Your code is {userCode}", login.Output);
        var browser = new BrowserlessLogin(fixture.Rig);

        var form = await browser.OpenAsync(url);
        var codePage = await browser.RequestPinAsync(Hostname, userCode, "alice@example.com");
        var pin = await browser.PinFromEdgeLogAsync("alice@example.com", Hostname);
        var confirmPage = await browser.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), pin);
        Assert.Contains(userCode, confirmPage.Html);
        Assert.False(login.HasExited); // signed in, but nothing is handed over before the user confirms the code
        var signedIn = await browser.ConfirmAsync(confirmPage.Html);

        Assert.Equal(HttpStatusCode.OK, form.Status);
        Assert.Contains("id=\"signed-in\"", signedIn.Html);
        var cookie = Assert.Single(confirmPage.Response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("CF_Authorization="));
        Assert.Contains("CF_Authorization=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await login.WaitForExit(TimeSpan.FromSeconds(30)));
        var tokenFile = Path.Combine(home, ".tunnelactors", "tokens", $"{Hostname}.jwt");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));

        var print = fixture.Rig.Run("access-token", env, "access", "token", "--app", $"https://{Hostname}");
        Assert.Equal(0, await print.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(File.ReadAllText(tokenFile).Trim(), print.Output);

        var (_, port) = await fixture.Rig.StartAccess(Hostname, home);
        var result = await TcpExchange.RunAsync(port, 1 << 20, seed: 21, TimeSpan.FromSeconds(30));
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        await fixture.Rig.Edge.WaitForOutput("opened: alice@example.com", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task DeviceSignIn_IsCollectedOnlyOnceAndOnlyAfterConfirmation()
    {
        var browser = new BrowserlessLogin(fixture.Rig);
        var (deviceCode, userCode, _) = await browser.StartDeviceAsync(Hostname);
        var codePage = await browser.RequestPinAsync(Hostname, userCode, "carol@example.com");
        var confirmPage = await browser.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), await browser.PinFromEdgeLogAsync("carol@example.com", Hostname));
        using var http = fixture.Rig.Http();

        var beforeConfirming = await BrowserlessLogin.CollectAsync(http, deviceCode);
        var confirmed = await browser.ConfirmAsync(confirmPage.Html);
        Assert.True(confirmed.Html.Contains("signed-in"), $"{confirmed.Status}: {confirmed.Html}\n---\n{confirmPage.Html}");
        var first = await BrowserlessLogin.CollectAsync(http, deviceCode);
        var second = await BrowserlessLogin.CollectAsync(http, deviceCode);

        Assert.Equal(HttpStatusCode.NotFound, beforeConfirming.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
    }

    [Fact]
    public async Task Pin_WrongFiveTimes_ChallengeIsBurnedEvenForTheRightPin()
    {
        var browser = new BrowserlessLogin(fixture.Rig);
        var codePage = await browser.RequestPinAsync(Hostname, null, "dave@example.com");
        var challenge = BrowserlessLogin.Challenge(codePage.Html);
        var pin = await browser.PinFromEdgeLogAsync("dave@example.com", Hostname);
        var wrong = pin == "000000" ? "111111" : "000000";

        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SubmitPinAsync(challenge, wrong)).Status);
        var late = await browser.SubmitPinAsync(challenge, pin);

        Assert.Equal(HttpStatusCode.Unauthorized, late.Status);
        Assert.DoesNotContain("signed-in", late.Html);
    }

    [Fact]
    public async Task Client_WithForgedToken_Gets401WithReason()
    {
        var (status, reason, _) = await fixture.Rig.UpgradeAsync(Hostname, new Dictionary<string, string>
        {
            ["Cf-Access-Token"] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJlbWFpbCI6Im1hbGxvcnlAZXhhbXBsZS5jb20ifQ.",
        });

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Access token rejected", reason);
    }
}

/// <summary>An edge whose only application admits @example.com: what others see when they try.</summary>
public sealed class RestrictedLoginTests : IAsyncLifetime
{
    private EdgeRig _rig = null!;

    public async Task InitializeAsync() => _rig = await EdgeRig.StartAsync("""
        applications:
          - name: team share
            domain: smb.site.test
            session_duration: 1h
            policies:
              - name: example.com staff
                decision: allow
                include:
                  - email_domain: example.com
        """);

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task Login_EmailNotAllowed_SeesTheSamePageButGetsNoPin()
    {
        var browser = new BrowserlessLogin(_rig);

        var allowed = await browser.RequestPinAsync("smb.site.test", null, "alice@example.com");
        var refused = await browser.RequestPinAsync("smb.site.test", null, "mallory@evil.test");

        Assert.Equal(allowed.Status, refused.Status);
        Assert.Equal(Normalize(allowed.Html, "alice@example.com"), Normalize(refused.Html, "mallory@evil.test"));
        await _rig.Edge.WaitForOutput("One-time PIN for alice@example.com", TimeSpan.FromSeconds(10));
        await _rig.Edge.WaitForOutput("No PIN sent to mallory@evil.test", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("One-time PIN for mallory@evil.test", _rig.Edge.Output);
    }

    [Fact]
    public async Task Login_UnknownApplication_Refused404()
    {
        var page = await new BrowserlessLogin(_rig).OpenAsync("/cdn-cgi/access/login?app=wiki.site.test");

        Assert.Equal(HttpStatusCode.NotFound, page.Status);
    }

    private static string Normalize(string html, string email) =>
        Regex.Replace(html.Replace(email, "EMAIL"), "value=\"[0-9a-f]{32}\"", "value=\"CHALLENGE\"");
}
