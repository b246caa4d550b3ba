using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Origin.Metrics;
using TunnelActors.Origin.OriginStreams;
using TunnelActors.Protocol;
using TunnelActors.Tests.Shared;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Origin.Tests;

/// <summary>One stream's actor on the connector, over a real mux session (loopback TCP) and a real local service.</summary>
public sealed class OriginStreamActorTests : TestKit, IAsyncLifetime
{
    private readonly TcpListener _service = new(IPAddress.Loopback, 0);
    private LoopbackMuxPair? _mux;

    public async Task InitializeAsync()
    {
        _service.Start();
        _mux = await LoopbackMuxPair.StartAsync(Sys.Materializer());
    }

    [Fact]
    public async Task StoppedBeforeItsServiceAnswered_ClosesTheSocketThatConnectedAnyway()
    {
        var (_, far) = await OpenStreamAsync();

        // Stopped at once: the stop (a system message) overtakes the connection's arrival (a PipeTo'd message).
        var actor = Sys.ActorOf(Props.Create(() => new OriginStreamActor(far, ServiceUrl, new ConnectorMetrics(0, null))));
        Sys.Stop(actor);

        // On loopback the handshake completes within the dial's first step, so the service always sees the connection.
        using var accepted = await _service.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        // Closed by the actor's PostStop (an end, or a reset if the dial itself was cancelled); before, it stayed open
        // until the garbage collector found it, and this read timed out.
        try { Assert.Equal(0, await accepted.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10))); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }
    }

    [Fact]
    public async Task Connected_RelaysBothWays_AndTheEdgesEndClosesTheService()
    {
        var (near, far) = await OpenStreamAsync();
        Sys.ActorOf(Props.Create(() => new OriginStreamActor(far, ServiceUrl, new ConnectorMetrics(0, null))));
        using var service = await _service.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await near.WriteAsync("ping"u8.ToArray(), CancellationToken.None);
        var buffer = new byte[16];
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer, 0, await service.ReceiveAsync(buffer, SocketFlags.None)));
        await service.SendAsync("pong"u8.ToArray(), SocketFlags.None);
        Assert.Equal("pong", System.Text.Encoding.ASCII.GetString(buffer, 0, await near.ReadAsync(buffer, CancellationToken.None)));

        await near.CompleteWritesAsync(CancellationToken.None);
        Assert.Equal(0, await service.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task StoppedMidStream_ResetsTheServicesConnection_NeverEndsItCleanly()
    {
        var (near, far) = await OpenStreamAsync();
        var actor = Sys.ActorOf(Props.Create(() => new OriginStreamActor(far, ServiceUrl, new ConnectorMetrics(0, null))));
        using var service = await _service.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await near.WriteAsync("part"u8.ToArray(), CancellationToken.None);
        var buffer = new byte[16];
        Assert.Equal(4, await service.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)));

        // Stopped with the transfer under way (as when its connection to the edge is lost): the service must see an
        // error, not the clean end of a complete transfer. Before, its socket was closed (FIN) ahead of the relay's reset.
        Sys.Stop(actor);
        var read = service.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
        var reset = await Assert.ThrowsAsync<SocketException>(() => read);
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    private Uri ServiceUrl => new($"tcp://127.0.0.1:{((IPEndPoint)_service.LocalEndpoint).Port}");

    private async Task<(MuxStream Near, MuxStream Far)> OpenStreamAsync()
    {
        var near = await _mux!.Edge.OpenStreamAsync(new OpenPayload("smb.site.test", "test", MuxOptions.Default.StreamWindow), CancellationToken.None);
        return (near, await _mux.NextOfferedAsync());
    }

    public Task DisposeAsync()
    {
        _mux?.Dispose();
        _service.Stop();
        return Task.CompletedTask;
    }
}
