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
}
