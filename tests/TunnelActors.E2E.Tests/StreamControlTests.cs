using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// Every stream is an actor operators can see and end, and access once granted can be taken
/// back: through the admin API and the CLI, against a real edge, connector and echo origin.
/// </summary>
public sealed class StreamControlTests : IAsyncLifetime
{
    private const string Echo = "echo.site.test";
    private const string Jobs = "jobs.site.test";
    private const string Open = "open.site.test";
    private const string Closed = "closed.site.test";

    private static string Config(string jobTokens) => $$"""
        applications:
          - name: echo
            domain: {{Echo}}
            session_duration: 1h
            policies:
              - name: any service token
                decision: service_auth
                include:
                  - any_valid_service_token: true
              - name: staff
                decision: allow
                include:
                  - email_domain: example.com
          - name: jobs
            domain: {{Jobs}}
            policies:
              - name: listed jobs
                decision: service_auth
                include:
                  - service_token: [{{jobTokens}}]
          - name: office
            domain: {{Open}}
            policies:
              - name: office network
                decision: bypass
                include:
                  - ip: 127.0.0.0/8
          - name: elsewhere
            domain: {{Closed}}
            policies:
              - name: another office
                decision: bypass
                include:
                  - ip: 192.0.2.0/24
        zones:
          - name: site.test
            admins:
              - email_domain: example.com
        """;

    private EchoServer _echo = null!;
    private EdgeRig _rig = null!;

    public async Task InitializeAsync()
    {
        _echo = new EchoServer();
        _rig = await EdgeRig.StartAsync(Config("none"), extra: ["--stream-recheck-interval", "3s"]);
        foreach (var hostname in new[] { Echo, Jobs, Open, Closed }) await _rig.StartTunnel(hostname, _echo.Port, haConnections: 1);
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Fact]
    public async Task Streams_AreListedWithWhoAndWhat_AndOneClosedThroughTheApiEndsAloneWithItsReason()
    {
        using var first = await _rig.ConnectClient(Echo);
        using var second = await _rig.ConnectClient(Echo);
        await Carrier.EchoOnce(first, "one");
        await Carrier.EchoOnce(second, "second"); // a different byte count tells the two apart in the list
        using var admin = _rig.Admin();

        var streams = await Streams(admin, Echo);
        var target = streams.Single(s => s.GetProperty("bytesToOrigin").GetInt64() == 3);
        var id = target.GetProperty("streamId").GetString()!;
        var closed = await admin.PostAsync($"/api/streams/{Uri.EscapeDataString(id)}/close?reason=maintenance", null);
        var reason = await Carrier.CloseOf(first, TimeSpan.FromSeconds(30));

        Assert.Equal(2, streams.Count);
        Assert.All(streams, s => Assert.Equal(($"service-token:{_rig.ServiceToken.Id}", "echo", "client", "relaying"),
            (s.GetProperty("identity").GetString(), s.GetProperty("application").GetString(), s.GetProperty("kind").GetString(), s.GetProperty("state").GetString())));
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Contains("closed by an operator: maintenance", reason);
        await Carrier.EchoOnce(second, "still here");
        // Rates are measured when asked, over at least a second (no timer per stream): 16 bytes to the service within ~1-2 s.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        var rate = (await Streams(admin, Echo)).Single(s => s.GetProperty("bytesToOrigin").GetInt64() == 16).GetProperty("rateToOrigin").GetDouble();
        Assert.InRange(rate, 0.5, 16);
        // The client hears the close before the edge's stream actor has stopped: listed as "ending" until it has.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await Streams(admin, Echo)).Count > 1 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Single(await Streams(admin, Echo));
        await AuditEventually(admin, "session_end", e => e.Contains(id) && e.Contains("ended: closed by an operator: maintenance"));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/streams/{Uri.EscapeDataString(id)}/close", null)).StatusCode);
    }

    [Fact]
    public async Task ServiceToken_CreatedRotatedAndRevokedThroughTheCli_RevocationEndsItsLiveStreamWithItsReason()
    {
        var created = await Cli("access", "service-token", "create", "--name", "backup", "--duration", "8760h");
        var (id, secret) = (Field(created, "client_id"), Field(created, "client_secret"));
        using (var viaCreated = await _rig.ConnectClient(Echo, Token(id, secret))) await Carrier.EchoOnce(viaCreated, "created");

        var rotated = await Cli("access", "service-token", "rotate", id, "--overlap", "0s");
        var newSecret = Field(rotated, "client_secret");
        var oldRefused = await _rig.UpgradeAsync(Echo, Token(id, secret));
        using var live = await _rig.ConnectClient(Echo, Token(id, newSecret));
        await Carrier.EchoOnce(live, "rotated");

        await Cli("access", "service-token", "revoke", id, "--reason", "job retired");
        var ended = await Carrier.CloseOf(live, TimeSpan.FromSeconds(30));
        var afterRevoke = await _rig.UpgradeAsync(Echo, Token(id, newSecret));
        var listed = await Cli("access", "service-token", "list");

        Assert.NotEqual(secret, newSecret);
        Assert.Equal(HttpStatusCode.Forbidden, oldRefused.Status);
        Assert.Contains("service token 'backup' revoked: job retired", ended);
        Assert.Equal(HttpStatusCode.Forbidden, afterRevoke.Status);
        Assert.Contains("'backup' was revoked (job retired)", afterRevoke.Reason);
        Assert.Matches($@"{Regex(id)}\s+backup\s+.*revoked", listed);
        using var admin = _rig.Admin();
        Assert.Contains(await Audit(admin, "access_decision"), e => e.Contains("service token 'backup'"));
    }

    [Fact]
    public async Task PolicyEdit_EndsExactlyTheStreamsItNoLongerAdmits()
    {
        using var admin = _rig.Admin();
        var (keptId, keptSecret) = await CreateToken(admin, "kept");
        var (droppedId, droppedSecret) = await CreateToken(admin, "dropped");
        await Reconfigure($"{keptId}, {droppedId}");
        using var kept = await ConnectWhenAdmitted(Jobs, Token(keptId, keptSecret));
        using var dropped = await ConnectWhenAdmitted(Jobs, Token(droppedId, droppedSecret));
        using var elsewhere = await _rig.ConnectClient(Echo, Token(droppedId, droppedSecret)); // the same token on an application that still admits it

        await Reconfigure(keptId);
        var reason = await Carrier.CloseOf(dropped, TimeSpan.FromSeconds(30));

        Assert.Contains("access no longer allowed", reason);
        await Carrier.EchoOnce(kept, "kept");
        await Carrier.EchoOnce(elsewhere, "elsewhere");
        await AuditEventually(admin, "access_decision", e => e.Contains("decided again after a policy change"));
    }

    [Fact]
    public async Task Bypass_AdmitsAnAnonymousClientFromTheAllowedRangeOnly()
    {
        using var anonymous = await _rig.ConnectClient(Open, new Dictionary<string, string>());
        await Carrier.EchoOnce(anonymous, "no credential needed here");
        var outside = await _rig.UpgradeAsync(Closed);

        Assert.Equal(HttpStatusCode.Unauthorized, outside.Status);
        Assert.Contains("no credential", outside.Reason);
        using var admin = _rig.Admin();
        var stream = Assert.Single(await Streams(admin, Open));
        Assert.Equal(("anonymous", "none (bypass)"), (stream.GetProperty("identity").GetString(), stream.GetProperty("credential").GetString()));
    }

    [Fact]
    public async Task RequestersThatLeaveBeforeTheirStreamOpens_LeaveNoStreamBehind()
    {
        // Each sends a complete upgrade request and closes at once: the edge opens a stream for nobody.
        for (var i = 0; i < 20; i++) await UpgradeAndLeave(Echo);
        using var admin = _rig.Admin();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        int edgeStreams, connectionStreams;
        do
        {
            await Task.Delay(500);
            edgeStreams = (await Streams(admin, Echo)).Count;
            connectionStreams = await ConnectionStreams(admin, Echo);
        } while ((edgeStreams > 0 || connectionStreams > 0) && DateTime.UtcNow < deadline);

        Assert.Equal((0, 0), (edgeStreams, connectionStreams));
        using var client = await _rig.ConnectClient(Echo);
        await Carrier.EchoOnce(client, "the tunnel is fine");
    }

    [Fact]
    public async Task SessionsAreListed_AndLogoutEndsTheUsersLiveStreamAndRefusesTheToken()
    {
        var token = await new BrowserlessLogin(_rig).SignInAsync(Echo, "erin@example.com");
        using var live = await _rig.ConnectClient(Echo, new Dictionary<string, string> { ["Cf-Access-Token"] = token });
        await Carrier.EchoOnce(live, "signed in");
        using var admin = _rig.Admin();
        var session = Assert.Single(JsonDocument.Parse(await admin.GetStringAsync("/api/sessions?identity=erin@example.com&application=echo"))
            .RootElement.GetProperty("sessions").EnumerateArray().ToList());

        using var http = _rig.Http();
        using var logout = new HttpRequestMessage(HttpMethod.Post, $"/cdn-cgi/access/logout?app={Echo}");
        logout.Headers.Add("Cf-Access-Token", token);
        var signedOut = await http.SendAsync(logout);
        var reason = await Carrier.CloseOf(live, TimeSpan.FromSeconds(30));
        var again = await _rig.UpgradeAsync(Echo, new Dictionary<string, string> { ["Cf-Access-Token"] = token });

        Assert.Equal(("erin@example.com", "otp"), (session.GetProperty("identity").GetString(), session.GetProperty("loginMethod").GetString()));
        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
        Assert.Contains("signed out", reason);
        Assert.Equal(HttpStatusCode.Unauthorized, again.Status);
        Assert.Contains("was revoked (signed out)", again.Reason);
    }

    [Fact]
    public async Task SessionRevokedWithoutABroadcast_IsCaughtByTheStreamsOwnRecheck()
    {
        var token = await new BrowserlessLogin(_rig).SignInAsync(Echo, "hank@example.com");
        using var live = await _rig.ConnectClient(Echo, new Dictionary<string, string> { ["Cf-Access-Token"] = token });
        await Carrier.EchoOnce(live, "x");

        // As if this edge had been cut off when the revocation was published: the row changes, no message arrives.
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_rig.DataDir, "edge.db")}"))
        {
            await db.OpenAsync();
            var revoke = db.CreateCommand();
            revoke.CommandText = "UPDATE access_sessions SET revoked_at = '2026-01-01T00:00:00.0000000Z', revoke_reason = 'missed broadcast' WHERE identity = 'hank@example.com'";
            Assert.Equal(1, await revoke.ExecuteNonQueryAsync());
        }
        var reason = await Carrier.CloseOf(live, TimeSpan.FromSeconds(30)); // the rig's edge rechecks every 3 s

        Assert.Contains("session revoked: missed broadcast", reason);
    }

    private async Task<string> Cli(params string[] args)
    {
        var process = _rig.Run("cli-" + args[2], null, [.. args, "--edge", _rig.EdgeUrl, "--ca-file", _rig.CaFile,
            "--admin-token-file", Path.Combine(_rig.DataDir, "admin-token")]);
        var exit = await process.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"{string.Join(' ', args)} exited {exit}:\n{process.Output}");
        return process.Output;
    }

    private static string Field(string output, string name) =>
        output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private static Dictionary<string, string> Token(string id, string secret) => new() { ["Cf-Access-Client-Id"] = id, ["Cf-Access-Client-Secret"] = secret };

    private static async Task<(string Id, string Secret)> CreateToken(HttpClient admin, string name)
    {
        var response = await admin.PostAsJsonAsync("/api/service-tokens", new { name });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return (body.GetProperty("client_id").GetString()!, body.GetProperty("client_secret").GetString()!);
    }

    private async Task Reconfigure(string jobTokens) => await File.WriteAllTextAsync(Path.Combine(_rig.DataDir, "edge.yaml"), Config(jobTokens));

    // The edge re-reads its configuration within a second or two.
    private async Task<ClientWebSocket> ConnectWhenAdmitted(string hostname, Dictionary<string, string> headers)
    {
        // Until the edge applied its reloaded configuration (a second after it held still, on a poll).
        for (var waited = Stopwatch.StartNew(); ; )
        {
            try { return await _rig.ConnectClient(hostname, headers); }
            catch (WebSocketException) when (waited.Elapsed < TimeSpan.FromSeconds(30)) { await Task.Delay(200); }
        }
    }

    internal static async Task<List<JsonElement>> Streams(HttpClient admin, string hostname) =>
        JsonDocument.Parse(await admin.GetStringAsync("/api/streams")).RootElement.GetProperty("streams").EnumerateArray()
            .Where(s => s.GetProperty("hostname").GetString() == hostname).ToList();

    private static async Task<int> ConnectionStreams(HttpClient admin, string hostname) =>
        JsonDocument.Parse(await admin.GetStringAsync("/api/tunnels")).RootElement.GetProperty("tunnels").EnumerateArray()
            .Where(t => t.GetProperty("tunnel").GetString() == hostname)
            .SelectMany(t => t.GetProperty("connections").EnumerateArray()).Sum(c => c.GetProperty("streams").GetArrayLength());

    // Stream actors write their audit events off the actor: they land a moment after the stream ends.
    private static async Task AuditEventually(HttpClient admin, string kind, Func<string, bool> match)
    {
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30) && !(await Audit(admin, kind)).Any(match); ) await Task.Delay(100);
        Assert.Contains(await Audit(admin, kind), e => match(e));
    }

    private static async Task<List<string>> Audit(HttpClient admin, string kind) =>
        JsonDocument.Parse(await admin.GetStringAsync($"/api/audit?kind={kind}&limit=100")).RootElement.GetProperty("events").EnumerateArray()
            .Select(e => e.GetRawText()).ToList();

    private async Task UpgradeAndLeave(string hostname)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _rig.Port);
        using var tls = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(hostname);
        var (id, secret) = _rig.ServiceToken;
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {hostname}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Convert.ToBase64String(Guid.NewGuid().ToByteArray())}\r\n" +
            $"Cf-Access-Client-Id: {id}\r\nCf-Access-Client-Secret: {secret}\r\n\r\n"));
        await tls.FlushAsync();
        tcp.Client.LingerState = new LingerOption(true, 0); // a reset, as a client that crashed
    }
}
