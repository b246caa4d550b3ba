using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TunnelActors.Access.Certificates;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// The adversarial review's findings, tried against a real edge as an attacker would: a stranger
/// at the sign-in pages, a link-maker, a local user reading the data directory, a holder of a
/// zone's origin certificate posing as the edge, and a connector that never registers.
/// </summary>
public sealed class SecurityTests : IAsyncLifetime
{
    private const string App = "smb.site.test";
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
        zones:
          - name: site.test
            admins:
              - email_domain: example.com
        """);

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Theory]
    [InlineData("attacker@evil.test,nobody@example.com")]
    [InlineData("Nobody <attacker@evil.test>")]
    [InlineData("\"attacker@evil.test\"@example.com")]
    public async Task PinForm_AddressList_IsRefusedAndNothingIsMailed(string email)
    {
        var page = await new BrowserlessLogin(_rig).RequestPinAsync(App, null, email);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains("single email address", page.Html);
        await Task.Delay(500); // a PIN would be sent in the background
        Assert.DoesNotContain("One-time PIN for", _rig.Edge.Output.Split('\n').Where(l => l.Contains("attacker") || l.Contains("nobody")));
    }

    [Fact]
    public async Task SignInLinkMadeByAnAttacker_DeliversNothingToTheAttacker()
    {
        // The attacker starts a CLI sign-in and sends the victim its link.
        var attacker = new BrowserlessLogin(_rig);
        var (attackerDeviceCode, _, link) = await attacker.StartDeviceAsync(App);
        var victim = new BrowserlessLogin(_rig);

        await victim.OpenAsync(link);
        var codePage = await victim.RequestPinAsync(App, BrowserlessLogin.UserCode(link), "victim@example.com");
        var afterSignIn = await victim.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), await victim.PinFromEdgeLogAsync("victim@example.com", App));
        using var http = _rig.Http();
        var collected = await BrowserlessLogin.CollectAsync(http, attackerDeviceCode);

        // The victim is signed in (their own cookie) but is asked to confirm a code their terminal never showed.
        Assert.Contains("id=\"confirm\"", afterSignIn.Html);
        Assert.Contains("your own terminal", afterSignIn.Html);
        Assert.Equal(HttpStatusCode.NotFound, collected.StatusCode);
    }

    [Fact]
    public async Task ConfirmPost_WithoutTheAntiForgeryCookieOrFromAnotherSite_IsRefused()
    {
        var browser = new BrowserlessLogin(_rig);
        var (deviceCode, userCode, _) = await browser.StartDeviceAsync(App);
        var codePage = await browser.RequestPinAsync(App, userCode, "mia@example.com");
        var confirmPage = await browser.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), await browser.PinFromEdgeLogAsync("mia@example.com", App));

        using var stranger = _rig.Http(); // another browser: no cookies
        var forged = await stranger.PostAsync("/cdn-cgi/access/device/confirm", Form(("user_code", userCode), ("csrf", BrowserlessLogin.Field(confirmPage.Html, "csrf"))));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/otp") { Content = Form(("app", App), ("email", "mia@example.com")) };
        crossSite.Headers.Add("Origin", "https://evil.test");
        var crossSiteAnswer = await stranger.SendAsync(crossSite);
        using var http = _rig.Http();

        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSiteAnswer.StatusCode);
        Assert.Contains("origin https://evil.test", await crossSiteAnswer.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await BrowserlessLogin.CollectAsync(http, deviceCode)).StatusCode);
        Assert.Contains("id=\"signed-in\"", (await browser.ConfirmAsync(confirmPage.Html)).Html); // the real page still works
    }

    [Fact]
    public async Task LoginPages_CannotBeFramed()
    {
        using var http = _rig.Http();
        var page = await http.GetAsync($"/cdn-cgi/access/login?app={App}");

        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("same-origin", page.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task PinRequests_ForOneAddress_AreBudgeted()
    {
        var browser = new BrowserlessLogin(_rig);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) statuses.Add((await browser.RequestPinAsync(App, null, "budget@evil.test")).Status);

        Assert.All(statuses.Take(5), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[5]);
    }

    [Fact]
    public async Task MetricsListener_ServesMetricsOnly_AndThePublicPortNever()
    {
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_rig.MetricsPort}") };
        using var publicPort = _rig.Http();
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        spoofed.Headers.Host = $"x:{_rig.MetricsPort}";

        Assert.Equal(HttpStatusCode.OK, (await metrics.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/api/tunnels")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync($"/cdn-cgi/access/login?app={App}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/cdn-cgi/tunnel/connect")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await publicPort.SendAsync(spoofed)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await publicPort.GetAsync("/METRICS")).StatusCode);
    }

    [Fact]
    public async Task ConnectorUpgrades_ThatNeverRegister_AreCappedPerSourceAndCut()
    {
        var sockets = new List<ClientWebSocket>();
        try
        {
            // All at once: one after another, a busy machine could take longer than the registration timeout (10 s) that frees their slots.
            var opening = System.Diagnostics.Stopwatch.StartNew();
            sockets.AddRange(await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => _rig.ConnectClient("127.0.0.1", withToken: false, path: "/cdn-cgi/tunnel/connect"))));
            var refused = await Record.ExceptionAsync(() => _rig.ConnectClient("127.0.0.1", withToken: false, path: "/cdn-cgi/tunnel/connect"));
            // The 17th from this address is answered 429 (load: the connector backs off), not 503 (which it retries at once).
            Assert.True(refused is not null, $"a 17th upgrade was accepted ({opening.Elapsed.TotalSeconds:0.0} s after the first 16 began)");
            Assert.Contains("429", refused.Message);

            // The registration timeout (10 s) plus the refusal grace cuts every silent one.
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var ends = sockets.Select(async s =>
            {
                try { while ((await s.ReceiveAsync(new byte[1024], cancel.Token)).MessageType != WebSocketMessageType.Close) { } }
                catch (WebSocketException) { }
            });
            await Task.WhenAll(ends);
            Assert.False(cancel.IsCancellationRequested);
            await _rig.Edge.WaitForOutput("no REGISTER within 10 s", TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
        // Slots are back: a new upgrade is accepted again.
        using var again = await _rig.ConnectClient("127.0.0.1", withToken: false, path: "/cdn-cgi/tunnel/connect");
    }

    [Fact]
    public async Task DataDirectory_IsPrivate_AndASecretReadableByOthersStopsTheEdge()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_rig.DataDir));
        foreach (var file in new[] { "edge.db", "edge-ca.key.pem", "edge-tls.pem", "cert.pem", "service-token.json", "admin-token" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_rig.DataDir, file)));

        var database = Path.Combine(_rig.DataDir, "edge.db");
        File.SetUnixFileMode(database, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            await using var second = CliProcess.Start("edge-insecure", _rig.DataDir, "edge", "--listen", $"https://127.0.0.1:{Ports.Free()}", "--data-dir", _rig.DataDir);
            Assert.Equal(2, await second.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Contains($"chmod 600 {database}", second.Output);
        }
        finally { File.SetUnixFileMode(database, UnixFileMode.UserRead | UnixFileMode.UserWrite); }
    }

    [Fact]
    public async Task FakeEdge_HoldingOnlyAnOriginCertificate_NeverGetsTheServiceTokenSecret()
    {
        using var origin = X509Certificate2.CreateFromPemFile(_rig.OriginCert);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = new StringBuilder();
        var fake = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            using var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(origin);
                var buffer = new byte[4096];
                var n = await tls.ReadAsync(buffer);
                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException) { }
        });

        var (id, secret) = _rig.ServiceToken;
        var localPort = Ports.Free();
        await using var access = CliProcess.Start("access-fake-edge", _rig.DataDir,
            new Dictionary<string, string> { ["TUNNEL_SERVICE_TOKEN_ID"] = id, ["TUNNEL_SERVICE_TOKEN_SECRET"] = secret },
            "access", "tcp", "--hostname", App, "--url", $"127.0.0.1:{localPort}", "--edge", $"https://127.0.0.1:{port}", "--ca-file", _rig.CaFile);
        await Ports.WaitListening(localPort, TimeSpan.FromSeconds(30));
        using var local = new TcpClient();
        await local.ConnectAsync(IPAddress.Loopback, localPort);
        await fake.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.DoesNotContain(secret, received.ToString());
        Assert.Equal("", received.ToString());
    }

    [Fact]
    public async Task RevokedOriginCertificate_CutsItsLiveConnectionsAndIsRefusedAtRegistration()
    {
        var certificate = Path.Combine(_rig.DataDir, "to-revoke.pem");
        File.Copy(_rig.OriginCert, certificate);
        var live = await _rig.StartTunnel("live-revoked.site.test", Ports.Free(), haConnections: 1, originCert: certificate);
        var revoke = _rig.Run("revoke-cert", null, "tunnel", "revoke-cert", "--origincert", certificate, "--edge", _rig.EdgeUrl,
            "--ca-file", _rig.CaFile, "--admin-token-file", Path.Combine(_rig.DataDir, "admin-token"), "--reason", "laptop stolen");
        Assert.Equal(0, await revoke.WaitForExit(TimeSpan.FromSeconds(30)));

        await live.WaitForOutput("was revoked", TimeSpan.FromSeconds(20)); // the open connection is closed within the check interval
        var connector = await _rig.StartTunnel("revoked.site.test", Ports.Free(), haConnections: 1, originCert: certificate, waitReady: false);
        await connector.WaitForOutput("is revoked", TimeSpan.FromSeconds(30));

        using var http = _rig.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(_rig.DataDir, "admin-token")).Trim());
        var listed = await http.GetStringAsync("/api/origin-certificates");
        Assert.Contains("laptop stolen", listed);
    }

    [Fact]
    public async Task SignInStarts_FromOneSource_AreBudgeted()
    {
        await using var edge = await EdgeRig.StartAsync();
        var browser = new BrowserlessLogin(edge);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 31; i++) statuses.Add((await browser.RequestPinAsync("smb.site.test", null, $"flood{i}@evil.test")).Status);

        Assert.All(statuses.Take(30), s => Assert.Equal(HttpStatusCode.OK, s));
        var refused = await browser.RequestPinAsync("smb.site.test", null, "one-more@evil.test");
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[30]);
        Assert.True(refused.Response.Headers.RetryAfter is not null);
        Assert.Contains("too many sign-in attempts from 127.0.0.1", refused.Html);
    }

    [Fact]
    public async Task ServiceTokenSecret_FromAFile_NeverOnTheCommandLine()
    {
        await using var edge = await EdgeRig.StartAsync(); // embedded policies: the dev service token may enter *.site.test
        var (id, secret) = edge.ServiceToken;
        var file = Path.Combine(edge.DataDir, "backup.secret");
        TunnelActors.Access.SecretFile.Write(file, secret + "\n");
        await using var echo = new EchoServer();
        await edge.StartTunnel("filesecret.site.test", echo.Port, haConnections: 1);
        var port = Ports.Free();

        await using var access = CliProcess.Start("access-secret-file", edge.DataDir, new Dictionary<string, string> { ["TUNNEL_SERVICE_TOKEN_ID"] = id },
            "access", "tcp", "--hostname", "filesecret.site.test", "--url", $"127.0.0.1:{port}", "--edge", edge.EdgeUrl, "--ca-file", edge.CaFile,
            "--service-token-secret-file", file);
        await Ports.WaitListening(port, TimeSpan.FromSeconds(30));
        var result = await TcpExchange.RunAsync(port, 64 * 1024, seed: 5, TimeSpan.FromSeconds(30));

        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        Assert.DoesNotContain(secret, File.ReadAllText($"/proc/{access.Pid}/cmdline"));
        Assert.DoesNotContain("warning", access.Output);
    }

    [Fact]
    public async Task Connection_SendingASecondRegister_IsRefused()
    {
        using var origin = X509Certificate2.CreateFromPemFile(_rig.OriginCert);
        using var socket = await _rig.ConnectClient("127.0.0.1", withToken: false, path: "/cdn-cgi/tunnel/connect");
        var challenge = socket.HttpResponseHeaders![OriginCredential.ChallengeHeader].Single();
        var signature = OriginCredential.Sign(origin, challenge, "twice.site.test", "twice");
        var register = new TunnelActors.Protocol.RegisterPayload("twice.site.test", "twice", "r1", origin.RawData, signature).ToFrame();
        var bytes = TunnelActors.Protocol.FrameCodec.Encode(register);

        await socket.SendAsync(bytes.Concat(bytes).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reader = new TunnelActors.Protocol.FrameReader();
        var frames = new List<TunnelActors.Protocol.Frame>();
        var buffer = new byte[64 * 1024];
        try
        {
            while (!frames.Any(f => f.Type == TunnelActors.Protocol.FrameType.GoAway))
            {
                var received = await socket.ReceiveAsync(buffer, cancel.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                reader.Feed(buffer.AsSpan(0, received.Count), frames);
            }
        }
        catch (WebSocketException) { }
        var goAway = Assert.Single(frames, f => f.Type == TunnelActors.Protocol.FrameType.GoAway);
        Assert.Contains("second REGISTER", TunnelActors.Protocol.ReasonPayload.Parse(goAway.Payload.Span, TunnelActors.Protocol.FrameType.GoAway).Reason);
        Assert.DoesNotContain(frames, f => f.Type == TunnelActors.Protocol.FrameType.Registered);
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
}
