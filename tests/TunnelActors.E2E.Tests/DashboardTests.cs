using System.Net.Sockets;
using Microsoft.Playwright;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Hostname = "dash.site.test";

    public EdgeRig Rig { get; private set; } = null!;
    public EchoServer Echo { get; } = new();
    public int AccessPort { get; private set; }
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Rig = await EdgeRig.StartAsync();
        await Rig.StartTunnel(Hostname, Echo.Port, haConnections: 2);
        (_, AccessPort) = await Rig.StartAccess(Hostname);
        (Playwright, Browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
        await Rig.DisposeAsync();
        await Echo.DisposeAsync();
    }
}

/// <summary>
/// The operators' dashboard in Debian chromium: it shows a live tunnel with its connections and
/// an open stream moving bytes, and follows when an operator closes a connection.
/// </summary>
public sealed class DashboardTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task Dashboard_ShowsLiveTunnelAndStream_AndUpdatesWhenAConnectionIsClosed()
    {
        using var stream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await stream.ConnectAsync(System.Net.IPAddress.Loopback, fixture.AccessPort);
        using var traffic = new CancellationTokenSource();
        var pump = PumpAsync(stream, traffic.Token); // a stream that keeps moving bytes while the page watches
        var page = await (await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true })).NewPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync(); // "Close connection ...?"

        await page.GotoAsync($"{fixture.Rig.EdgeUrl}/dashboard");
        await page.FillAsync("#token", File.ReadAllText(Path.Combine(fixture.Rig.DataDir, "admin-token")).Trim());
        await page.ClickAsync("#token-form button");
        var tunnel = page.Locator($"[data-tunnel='{DashboardFixture.Hostname}']");
        await tunnel.Locator("[data-health='healthy']").WaitForAsync();
        await tunnel.Locator("[data-stream]").First.WaitForAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-stream] td')].some(td => /[1-9][0-9.]* (B|KiB|MiB)\\/s/.test(td.textContent))");
        await Chromium.ScreenshotAsync(page, "dashboard-live");
        var connections = await tunnel.Locator("[data-connection]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.connection)");
        var streamConnection = (await tunnel.Locator("[data-stream]").First.GetAttributeAsync("data-stream"))!.Split('/')[0];
        var idle = connections.First(c => c != streamConnection);

        await tunnel.Locator($"[data-close='{idle}']").ClickAsync();

        await tunnel.Locator($"[data-connection='{idle}']").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.WaitForFunctionAsync(
            $"() => document.querySelectorAll(\"[data-tunnel='{DashboardFixture.Hostname}'] [data-connection]\").length === 2");
        await Chromium.ScreenshotAsync(page, "dashboard-after-close");
        Assert.Equal(2, connections.Length);
        Assert.Equal(1, await tunnel.Locator($"[data-stream^='{streamConnection}/']").CountAsync()); // the stream on the other connection carried on
        Assert.Contains("live", await page.TextContentAsync("#status"));
        Assert.True(await page.Locator("#decisions tbody tr").CountAsync() > 0);
        Assert.True(await page.Locator("#members tbody tr").CountAsync() == 1);
        traffic.Cancel();
        await pump;
    }

    [Fact]
    public async Task Dashboard_ClosesAStreamAndRevokesASession_WithItsButtons()
    {
        var token = await new BrowserlessLogin(fixture.Rig).SignInAsync(DashboardFixture.Hostname, "gina@example.com");
        using var live = await fixture.Rig.ConnectClient(DashboardFixture.Hostname, new Dictionary<string, string> { ["Cf-Access-Token"] = token });
        await Carrier.EchoOnce(live, "watched");
        var page = await (await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true })).NewPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GotoAsync($"{fixture.Rig.EdgeUrl}/dashboard");
        await page.FillAsync("#token", File.ReadAllText(Path.Combine(fixture.Rig.DataDir, "admin-token")).Trim());
        await page.ClickAsync("#token-form button");

        var session = page.Locator("#sessions tbody tr", new() { HasText = "gina@example.com" });
        await session.WaitForAsync();
        var sessionId = await session.GetAttributeAsync("data-session");
        var row = page.Locator("[data-stream]", new() { HasText = "gina@example.com" });
        await row.WaitForAsync();
        var streamId = await row.GetAttributeAsync("data-stream-id");
        await Chromium.ScreenshotAsync(page, "dashboard-sessions");

        await page.Locator($"[data-revoke-session='{sessionId}']").ClickAsync();
        var reason = await Carrier.CloseOf(live, TimeSpan.FromSeconds(10));
        await page.Locator($"[data-session='{sessionId}']").WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await page.Locator($"[data-stream-id='{streamId}']").WaitForAsync(new() { State = WaitForSelectorState.Detached });

        using var other = await fixture.Rig.ConnectClient(DashboardFixture.Hostname);
        await Carrier.EchoOnce(other, "closing this one");
        using var admin = fixture.Rig.Admin();
        var target = (await StreamControlTests.Streams(admin, DashboardFixture.Hostname))
            .Single(s => s.GetProperty("bytesToOrigin").GetInt64() == "closing this one".Length).GetProperty("streamId").GetString();
        await page.Locator($"[data-close-stream='{target}']").ClickAsync();
        var closed = await Carrier.CloseOf(other, TimeSpan.FromSeconds(10));
        await page.Locator($"[data-stream-id='{target}']").WaitForAsync(new() { State = WaitForSelectorState.Detached });

        Assert.NotNull(sessionId);
        Assert.Contains("revoked from the dashboard", reason);
        Assert.Contains("closed from the dashboard", closed);
    }

    /// <summary>Writes and reads back a chunk every 50 ms until cancelled (an echo service answers).</summary>
    private static async Task PumpAsync(Socket socket, CancellationToken cancellationToken)
    {
        var chunk = new byte[32 * 1024];
        var buffer = new byte[64 * 1024];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await socket.SendAsync(chunk, SocketFlags.None, cancellationToken);
                for (var got = 0; got < chunk.Length;) got += await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                await Task.Delay(50, cancellationToken);
            }
        }
        catch (OperationCanceledException) { }
    }
}
