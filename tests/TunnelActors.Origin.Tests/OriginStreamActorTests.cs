using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Origin.Metrics;
using TunnelActors.Origin.OriginStreams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Origin.Tests;

/// <summary>One stream's actor on the connector, over a real mux session (loopback TCP) and a real local service.</summary>
public sealed class OriginStreamActorTests : TestKit, IAsyncLifetime
{
    private readonly TcpListener _service = new(IPAddress.Loopback, 0);
    private readonly Opened _accepted = new();
    private Socket? _edgeSide, _connectorSide;
    private MuxConnection? _edge, _connector;

    public async Task InitializeAsync()
    {
        _service.Start();
        using var carrier = new TcpListener(IPAddress.Loopback, 0);
        carrier.Start();
        _edgeSide = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var accept = carrier.AcceptSocketAsync();
        await _edgeSide.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)carrier.LocalEndpoint).Port);
        _connectorSide = await accept;
        _edge = new MuxConnection("edge", MuxOptions.Default, new Opened());
        _connector = new MuxConnection("connector", MuxOptions.Default, _accepted);
        _edge.Start(new SocketChannel(_edgeSide), Sys.Materializer());
        _connector.Start(new SocketChannel(_connectorSide), Sys.Materializer());
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

    private Uri ServiceUrl => new($"tcp://127.0.0.1:{((IPEndPoint)_service.LocalEndpoint).Port}");

    private async Task<(MuxStream Near, MuxStream Far)> OpenStreamAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var near = await _edge!.OpenStreamAsync(new OpenPayload("smb.site.test", "test", MuxOptions.Default.StreamWindow), timeout.Token);
        return (near, await _accepted.Streams.Reader.ReadAsync(timeout.Token));
    }

    public Task DisposeAsync()
    {
        _edge?.Abort(new IOException("test over"));
        _connector?.Abort(new IOException("test over"));
        _edgeSide?.Dispose();
        _connectorSide?.Dispose();
        _service.Stop();
        return Task.CompletedTask;
    }

    private sealed class Opened : IMuxHandler
    {
        public Channel<MuxStream> Streams { get; } = Channel.CreateUnbounded<MuxStream>();
        public void OnStreamOpened(MuxStream stream) => Streams.Writer.TryWrite(stream);
        public void OnControlFrame(Frame frame) { }
        public void OnStreamError(uint streamId, ProtocolException error, int suppressed) { }
    }
}
