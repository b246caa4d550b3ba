using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// The whole zero-trust path with real parts: Debian's chromium (driven by Playwright) signs
/// users in at the npm oidc-provider IdP or with a one-time PIN, the CLI receives the token,
/// and smbclient reaches a real Samba share through access tcp only for allowed users.
/// The IdP runs on 127.0.0.1 and the edge on localhost, so their cookies stay apart.
/// </summary>
public sealed class SsoFixture : IAsyncLifetime
{
    public const string Hostname = "smb.site.test";

    public TestIdp Idp { get; private set; } = null!;
    public EdgeRig Rig { get; private set; } = null!;
    public Samba Samba { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var edgePort = Ports.Free();
        Idp = await TestIdp.StartAsync($"https://localhost:{edgePort}/cdn-cgi/access/oidc/callback");
        Rig = await EdgeRig.StartAsync("""
            applications:
              - name: team share
                domain: smb.site.test
                session_duration: 1h
                policies:
                  - name: no contractors
                    decision: block
                    include: [{ group: contractors }]
                  - name: engineering
                    decision: allow
                    include: [{ group: engineering }, { email: dora@example.com }]
            """, host: "localhost", port: edgePort,
            "--oidc-issuer", Idp.Issuer, "--oidc-client-id", TestIdp.ClientId, "--oidc-client-secret", Idp.ClientSecret);
        Samba = await Samba.StartAsync();
        await Rig.StartTunnel(Hostname, Samba.Port, haConnections: 2);
        (Playwright, Browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Rig.DisposeAsync();
        await Samba.DisposeAsync();
        await Idp.DisposeAsync();
    }
}

public sealed class SsoBrowserTests(SsoFixture fixture) : IClassFixture<SsoFixture>
{
    [Fact]
    public async Task Sso_AllowedUser_SignsInThroughIdpAndReachesTheShare()
    {
        var home = Directory.CreateTempSubdirectory("home-alice-").FullName;
        var (login, url) = await StartCliLogin(home);

        var page = await SignInWithIdp(url, "alice", "alice-password");

        await page.WaitForSelectorAsync("#signed-in");
        Assert.Contains("alice@example.com", await page.ContentAsync());
        Assert.Equal(0, await login.WaitForExit(TimeSpan.FromSeconds(30)));
        var (_, port) = await fixture.Rig.StartAccess(SsoFixture.Hostname, home);
        var (exit, output) = await fixture.Samba.Client(port, "ls", TimeSpan.FromSeconds(60));
        Assert.True(exit == 0 && !output.Contains("NT_STATUS"), output);
        Assert.Contains(await Audit("login"), e => e.GetProperty("identity").GetString() == "alice@example.com"
            && e.GetProperty("detail").GetString()!.StartsWith("oidc:") && e.GetProperty("policy").GetString() == "engineering");
    }

    [Theory]
    [InlineData("bob", "bob@example.com", null)]                   // finance: no policy lets him in
    [InlineData("carol", "carol@contractor.test", "no contractors")] // blocked explicitly
    public async Task Sso_UserNoPolicyAdmits_IsDeniedAndGetsNoToken(string user, string email, string? blockingPolicy)
    {
        var home = Directory.CreateTempSubdirectory($"home-{user}-").FullName;
        var (login, url) = await StartCliLogin(home);

        var page = await SignInWithIdp(url, user, $"{user}-password");

        await page.WaitForSelectorAsync("#denied");
        Assert.Contains(email, await page.ContentAsync());
        using var http = fixture.Rig.Http();
        Assert.False(login.HasExited); // the terminal got nothing and is still waiting
        Assert.False(File.Exists(Path.Combine(home, ".tunnelactors", "tokens", $"{SsoFixture.Hostname}.jwt")));
        var failed = (await Audit("login_failed")).First(e => e.GetProperty("identity").GetString() == email);
        Assert.Equal(blockingPolicy, failed.GetProperty("policy").GetString());
        await login.DisposeAsync();

        // Without a token, smbclient through access tcp gets nowhere: the edge refuses the connection.
        var (_, port) = await fixture.Rig.StartAccess(SsoFixture.Hostname, home);
        var (exit, output) = await fixture.Samba.Client(port, "ls", TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public async Task Sso_AddressTheIdpHasNotVerified_IsRefused()
    {
        // dan@example.com would match the engineering policy, but anyone can claim an unverified address.
        var home = Directory.CreateTempSubdirectory("home-dan-").FullName;
        var (login, url) = await StartCliLogin(home);
        await using var _ = login;

        var page = await SignInWithIdp(url, "dan", "dan-password");

        await page.WaitForSelectorAsync("#error");
        Assert.Contains("has not verified dan@example.com", await page.ContentAsync());
        Assert.DoesNotContain(await Audit("login"), e => e.GetProperty("identity").GetString() == "dan@example.com");
    }

    [Fact]
    public async Task Sso_WrongPasswordAtIdp_StaysOnIdpWithError()
    {
        var home = Directory.CreateTempSubdirectory("home-x-").FullName;
        var (login, url) = await StartCliLogin(home);
        await using var _ = login;

        var page = await SignInWithIdp(url, "alice", "not-her-password");

        await page.WaitForSelectorAsync("#error");
        Assert.StartsWith(fixture.Idp.Issuer, page.Url);
    }

    [Fact]
    public async Task Otp_InTheBrowser_SignsInAnAllowedEmail()
    {
        var home = Directory.CreateTempSubdirectory("home-dora-").FullName;
        var (login, url) = await StartCliLogin(home);
        var page = await NewPage();

        await page.GotoAsync(url);
        await page.FillAsync("#email", "dora@example.com");
        await page.ClickAsync("#send-code");
        await page.WaitForSelectorAsync("#code");
        var pin = await new BrowserlessLogin(fixture.Rig).PinFromEdgeLogAsync("dora@example.com", SsoFixture.Hostname);
        await page.FillAsync("#code", pin);
        await page.ClickAsync("#verify");
        await page.WaitForSelectorAsync("#confirm");
        Assert.Contains(BrowserlessLogin.UserCode(url), await page.TextContentAsync("#user-code") ?? "");
        await Shot(page, "otp-confirm");
        await page.ClickAsync("#confirm");

        await page.WaitForSelectorAsync("#signed-in");
        await Shot(page, "otp-signed-in");
        Assert.Equal(0, await login.WaitForExit(TimeSpan.FromSeconds(30)));
        var (_, port) = await fixture.Rig.StartAccess(SsoFixture.Hostname, home);
        var (exit, output) = await fixture.Samba.Client(port, "ls", TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
    }

    private async Task<(CliProcess Login, string Url)> StartCliLogin(string home)
    {
        var login = fixture.Rig.Run("access-login", new Dictionary<string, string> { ["HOME"] = home },
            "access", "login", $"https://{SsoFixture.Hostname}", "--edge", fixture.Rig.EdgeUrl, "--ca-file", fixture.Rig.CaFile, "--no-browser");
        await login.WaitForOutput("/cdn-cgi/access/login?app=", TimeSpan.FromSeconds(30));
        return (login, Regex.Match(login.Output, @"https://\S+/cdn-cgi/access/login\?\S+").Value);
    }

    private async Task<IPage> SignInWithIdp(string loginUrl, string user, string password)
    {
        var page = await NewPage();
        await page.GotoAsync(loginUrl);
        await Shot(page, $"{user}-1-edge-login");
        await page.ClickAsync("#sso");
        await page.WaitForSelectorAsync("#username");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await Shot(page, $"{user}-2-idp-login");
        await page.ClickAsync("#sign-in");
        await page.WaitForSelectorAsync("#confirm, #signed-in, #denied, #error");
        await Shot(page, $"{user}-3-result");
        if (await page.QuerySelectorAsync("#confirm") is { } confirm)
        {
            // Nothing reaches the terminal before the user confirms the code it shows.
            Assert.Contains(BrowserlessLogin.UserCode(loginUrl), await page.TextContentAsync("#user-code") ?? "");
            await confirm.ClickAsync();
            await page.WaitForSelectorAsync("#signed-in, #error");
            await Shot(page, $"{user}-4-confirmed");
        }
        return page;
    }

    private async Task<IPage> NewPage()
    {
        // The edge's certificate comes from its own CA: this throwaway profile accepts it.
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        return await context.NewPageAsync();
    }

    private static Task Shot(IPage page, string name) => Chromium.ScreenshotAsync(page, $"sso-{name}");

    private async Task<List<JsonElement>> Audit(string kind)
    {
        using var http = fixture.Rig.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(fixture.Rig.DataDir, "admin-token")).Trim());
        var body = JsonDocument.Parse(await http.GetStringAsync($"/api/audit?kind={kind}&limit=100")).RootElement;
        return body.GetProperty("events").EnumerateArray().ToList();
    }
}
