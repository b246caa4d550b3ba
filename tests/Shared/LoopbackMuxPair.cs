using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Tests.Shared;

/// <summary>
/// An edge-side mux session (opens streams) and a connector-side one (accepts them) over a loopback TCP
/// connection: real sockets, real backpressure. The streams the connector side is offered queue in <see cref="Offered"/>.
/// Linked into the role test projects that need a live session (the transport's own tests have a fuller harness).
/// </summary>
public sealed class LoopbackMuxPair : IDisposable
{
    private readonly Socket _edgeSide, _connectorSide;
    private readonly OfferedStreams _offered = new();

    private LoopbackMuxPair(Socket edgeSide, Socket connectorSide, IMaterializer materializer)
    {
        (_edgeSide, _connectorSide) = (edgeSide, connectorSide);
        Edge = new MuxConnection("edge", MuxOptions.Default, new OfferedStreams());
        Connector = new MuxConnection("connector", MuxOptions.Default, _offered);
        Edge.Start(new SocketChannel(edgeSide), materializer);
        Connector.Start(new SocketChannel(connectorSide), materializer);
    }

    public MuxConnection Edge { get; }
    public MuxConnection Connector { get; }
    public ChannelReader<MuxStream> Offered => _offered.Streams.Reader;

    public static async Task<LoopbackMuxPair> StartAsync(IMaterializer materializer)
    {
        var (edgeSide, connectorSide) = await SocketPair.CreateAsync();
        return new LoopbackMuxPair(edgeSide, connectorSide, materializer);
    }

    /// <summary>The next stream the connector side was offered, within 10 s.</summary>
    public async Task<MuxStream> NextOfferedAsync() => await Offered.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public void Dispose()
    {
        Edge.Abort(new IOException("test over"));
        Connector.Abort(new IOException("test over"));
        _edgeSide.Dispose();
        _connectorSide.Dispose();
    }

    private sealed class OfferedStreams : IMuxHandler
    {
        public Channel<MuxStream> Streams { get; } = Channel.CreateUnbounded<MuxStream>();
        public void OnStreamOpened(MuxStream stream) => Streams.Writer.TryWrite(stream);
        public void OnControlFrame(Frame frame) { }
        public void OnStreamError(uint streamId, ProtocolException error, int suppressed) { }
    }
}
