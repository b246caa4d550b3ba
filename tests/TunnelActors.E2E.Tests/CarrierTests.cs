using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// `access tcp`'s multiplexed carrier: every local connection of every listener is a stream on one
/// connection to the edge, each decided on its own credential; the per-connection WebSocket stays
/// as `--carrier websocket`; a path that goes silent is noticed by the carrier's own pings, and new
/// connections go on a new carrier while the streams of the dead one fail with the reason.
/// </summary>
public sealed class CarrierTests : IAsyncLifetime
{
    private const string Echo = "echo.site.test";
    private const string Jobs = "jobs.site.test";

    private const string Config = $$"""
        applications:
          - name: echo
            domain: {{Echo}}
            policies:
              - name: any service token
                decision: service_auth
                include:
                  - any_valid_service_token: true
          - name: jobs
            domain: {{Jobs}}
            policies:
              - name: no token listed
                decision: service_auth
                include:
                  - service_token: [none]
        """;

    private EchoServer _echo = null!;
    private EdgeRig _rig = null!;

    public async Task InitializeAsync()
    {
        _echo = new EchoServer();
        _rig = await EdgeRig.StartAsync(Config);
        await _rig.StartTunnel(Echo, _echo.Port, haConnections: 1);
        await _rig.StartTunnel(Jobs, _echo.Port, haConnections: 1);
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Fact]
    public async Task EveryConnectionOfEveryListener_IsAStreamOnOneCarrier_DecidedOnItsOwnCredential()
    {
        var (echoPort, jobsPort) = (Ports.Free(), Ports.Free());
        var config = Path.Combine(_rig.DataDir, "access.yml");
        await File.WriteAllTextAsync(config, $"""
            edge: {_rig.EdgeUrl}
            ca-file: {_rig.CaFile}
            listeners:
              - hostname: {Echo}
                url: 127.0.0.1:{echoPort}
              - hostname: {Jobs}
                url: 127.0.0.1:{jobsPort}
            """);
        var (id, secret) = _rig.ServiceToken;
        var access = _rig.Run("access-config", new Dictionary<string, string> { ["TUNNEL_SERVICE_TOKEN_ID"] = id, ["TUNNEL_SERVICE_TOKEN_SECRET"] = secret },
            "access", "tcp", "--config", config, "--no-browser");
        await Ports.WaitListening(jobsPort, TimeSpan.FromSeconds(30));

        await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var socket = await Connect(echoPort);
            await Carrier.EchoOnce(socket, $"connection {i}");
        }));

        // The token is refused for jobs: that stream is reset with the edge's reason, the others carry on.
        using (var refused = await Connect(jobsPort))
            await Assert.ThrowsAnyAsync<Exception>(() => Carrier.EchoOnce(refused, "not for me"));
        await access.WaitForOutput("access denied", TimeSpan.FromSeconds(20));
        using (var again = await Connect(echoPort)) await Carrier.EchoOnce(again, "still here");

        Assert.Single(Lines(access.Output, "Carrier .* up"));
        Assert.Single(Lines(_rig.Edge.Output, "Client carrier .* up"));
        // No connection fell back to a WebSocket of its own. (The carrier may first have been dialled with the
        // listening probe's jobs credential: the edge refuses that one, and the carrier is dialled with echo's.)
        Assert.Empty(Lines(access.Output, "offers no multiplexed carrier"));
    }

    [Fact]
    public async Task CarrierWebSocket_KeepsOneWebSocketPerConnection()
    {
        var (_, port) = await _rig.StartAccess(Echo, extra: ["--carrier", "websocket"]);

        for (var i = 0; i < 3; i++)
        {
            using var socket = await Connect(port);
            await Carrier.EchoOnce(socket, $"websocket {i}");
        }

        Assert.Empty(Lines(_rig.Edge.Output, "Client carrier .* up"));
    }

    [Fact]
    public async Task APathThatGoesSilent_NewConnectionsGoOnANewCarrier_AndTheOldStreamFailsWithTheReason()
    {
        var edgePort = new Uri(_rig.EdgeUrl).Port;
        await using var relay = new BlackHoleRelay(edgePort);
        var (access, port) = await _rig.StartAccess(Echo, extra: ["--edge", $"https://127.0.0.1:{relay.Port}"], replaceEdge: true);
        using var old = await Connect(port);
        await Carrier.EchoOnce(old, "before the network changed");

        Assert.Equal(1, relay.BlackHoleExisting());
        var silenced = Stopwatch.StartNew();
        TimeSpan? recovered = null;
        // Until the dead-carrier cut (10 s, logged "silent for"): only the carrier's own pings can explain a recovery before it.
        const string cut = "silent for";
        while (recovered is null && !access.Output.Contains(cut) && silenced.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                using var fresh = await Connect(port);
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await Carrier.EchoOnce(fresh, "after").WaitAsync(attempt.Token);
                recovered = silenced.Elapsed;
            }
            catch (Exception) { await Task.Delay(200); }
        }
        Assert.True(recovered is not null && !access.Output.Contains(cut),
            $"no new connection succeeded before the silent carrier was cut ({silenced.Elapsed.TotalSeconds:0.0} s). Access output:\n{access.Tail()}");
        Assert.True(relay.Accepted >= 2, "the new carrier went through the relay too"); // a retried dial makes it more

        // The stream on the silent carrier is not left hanging: it is reset once the carrier is cut, and the log says why.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var buffer = new byte[16];
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (await old.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) > 0) { }
            throw new EndOfStreamException("a clean end is a silent truncation");
        });
        Assert.False(cancel.IsCancellationRequested, "the old stream was still hanging after 40 s");
        await access.WaitForOutput(cut, TimeSpan.FromSeconds(30));
    }

    private static async Task<Socket> Connect(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    private static List<string> Lines(string output, string pattern) =>
        output.Split('\n').Where(l => Regex.IsMatch(l, pattern)).ToList();
}
