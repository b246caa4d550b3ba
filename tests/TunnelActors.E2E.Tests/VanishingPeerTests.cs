using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>Peers that disappear mid-stream: only their own streams end; everything else carries on.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class VanishingPeerTests(EchoTunnelFixture fixture)
{
    [Fact]
    public async Task Client_ResetMidStream_OtherStreamsCarryOn()
    {
        var healthy = TcpExchange.RunAsync(fixture.AccessPort, 32 << 20, seed: 11, TimeSpan.FromMinutes(2));
        for (var i = 0; i < 5; i++)
        {
            using var doomed = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await doomed.ConnectAsync(IPAddress.Loopback, fixture.AccessPort);
            await doomed.SendAsync(new byte[256 * 1024], SocketFlags.None);
            doomed.LingerState = new LingerOption(true, 0);
            doomed.Close(); // RST mid-stream
        }

        var result = await healthy;

        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        Assert.Equal(32 << 20, result.Received);
    }

    [Fact]
    public async Task Connector_Sigkilled_StreamsEndAndAReplacementServesNewOnesQuickly()
    {
        const string hostname = "failover.site.test";
        var first = await fixture.Rig.StartTunnel(hostname, fixture.Echo.Port, haConnections: 2);
        var (_, accessPort) = await fixture.Rig.StartAccess(hostname);
        using var open = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await open.ConnectAsync(IPAddress.Loopback, accessPort);
        await open.SendAsync("ping"u8.ToArray(), SocketFlags.None);
        var buffer = new byte[64];
        Assert.Equal(4, await open.ReceiveAsync(buffer, SocketFlags.None));

        first.Signal("KILL");
        await first.WaitForExit(TimeSpan.FromSeconds(10));

        // The open stream ends (its connector is gone) rather than hanging.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { while (await open.ReceiveAsync(buffer, SocketFlags.None, cancel.Token) > 0) { } }
        catch (SocketException) { }
        Assert.False(cancel.IsCancellationRequested, "the stream of a killed connector must end");

        await using var second = await fixture.Rig.StartTunnel(hostname, fixture.Echo.Port, haConnections: 2);
        var result = await TcpExchange.RunAsync(accessPort, 1 << 20, seed: 12, TimeSpan.FromSeconds(30));
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
    }

    [Fact]
    public async Task Connector_OneConnectionsPathGoesSilent_NewStreamsAvoidIt_AndTheConnectorReplacesIt()
    {
        const string hostname = "silent-path.site.test";
        await using var relay = new BlackHoleRelay(new Uri(fixture.Rig.EdgeUrl).Port);
        // Connection 0 goes straight to the edge, connection 1 through the relay.
        var tunnel = await fixture.Rig.StartTunnel(hostname, fixture.Echo.Port, haConnections: 2, extra: ["--edge", $"https://127.0.0.1:{relay.Port}"]);
        Assert.Equal(1, relay.Accepted);
        var (_, accessPort) = await fixture.Rig.StartAccess(hostname);
        await TcpExchange.RunAsync(accessPort, 64 * 1024, seed: 20, TimeSpan.FromSeconds(10));

        const string edgeSuspects = "new streams go to its tunnel's other connections";
        const string edgeCuts = "silent for"; // and ", dropping it": the idle cut (15 s), after which avoiding the path proves nothing
        var (suspectedBefore, cutBefore) = (fixture.Rig.Edge.CountLines(edgeSuspects), fixture.Rig.Edge.CountLines(edgeCuts, ", dropping it")); // the edge is shared
        Assert.Equal(1, relay.BlackHoleExisting());
        var silenced = Stopwatch.StartNew();
        // Until the silent connection is cut, least-loaded routing would send about every other new stream into it,
        // where it hangs: twenty in a row succeed only once the silence is noticed.
        var streak = 0;
        while (streak < 20 && silenced.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var result = await TcpExchange.RunAsync(accessPort, 1024, seed: 21 + streak, TimeSpan.FromSeconds(3));
                Assert.Equal(result.SentSha256, result.ReceivedSha256);
                streak++;
            }
            catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or SocketException) { streak = 0; }
        }
        Assert.True(streak == 20, $"after {silenced.Elapsed.TotalSeconds:0.0} s of silence only {streak} new streams in a row succeeded. Connector:\n{tunnel.Tail()}");
        Assert.True(fixture.Rig.Edge.CountLines(edgeCuts, ", dropping it") == cutBefore,
            $"twenty streams in a row succeeded only after the edge cut the silent connection ({silenced.Elapsed.TotalSeconds:0.0} s):\n{fixture.Rig.Edge.Tail()}");
        await tunnel.WaitForOutput("a replacement connects to the next edge", TimeSpan.FromSeconds(30)); // the connector noticed the silence itself
        await tunnel.WaitForOutput("replacement started", TimeSpan.FromSeconds(30));
        var deadline = DateTime.UtcNow.AddSeconds(30); // as did the edge
        while (fixture.Rig.Edge.CountLines(edgeSuspects) == suspectedBefore && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(fixture.Rig.Edge.CountLines(edgeSuspects) > suspectedBefore, $"the edge never marked the connection silent:\n{fixture.Rig.Edge.Tail()}");
    }
}
