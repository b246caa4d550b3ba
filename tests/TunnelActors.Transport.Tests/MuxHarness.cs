using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>Collects what a session reports, for assertions.</summary>
public sealed class RecordingHandler : IMuxHandler
{
    public Channel<MuxStream> Opened { get; } = Channel.CreateUnbounded<MuxStream>();
    public Channel<Frame> Control { get; } = Channel.CreateUnbounded<Frame>();
    public Channel<ProtocolException> StreamErrors { get; } = Channel.CreateUnbounded<ProtocolException>();

    public void OnStreamOpened(MuxStream stream) => Opened.Writer.TryWrite(stream);
    public void OnControlFrame(Frame frame) => Control.Writer.TryWrite(frame);
    public void OnStreamError(uint streamId, ProtocolException error) => StreamErrors.Writer.TryWrite(error);
}

/// <summary>A pair of connected loopback TCP sockets: a real carrier with real backpressure.</summary>
public static class SocketPair
{
    public static async Task<(Socket A, Socket B)> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var a = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptSocketAsync();
        await a.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var b = await accept;
        b.NoDelay = true;
        return (a, b);
    }
}

/// <summary>An edge-side session (opens streams) and a connector-side session (accepts them) over one socket pair.</summary>
public sealed class MuxPair : IAsyncDisposable
{
    private MuxPair(MuxSession opener, MuxSession acceptor, RecordingHandler acceptorEvents, Socket openerSocket, Socket acceptorSocket) =>
        (Opener, Acceptor, AcceptorEvents, OpenerSocket, AcceptorSocket) = (opener, acceptor, acceptorEvents, openerSocket, acceptorSocket);

    public MuxSession Opener { get; }
    public MuxSession Acceptor { get; }
    public RecordingHandler AcceptorEvents { get; }
    public Socket OpenerSocket { get; }
    public Socket AcceptorSocket { get; }

    public static async Task<MuxPair> StartAsync(IMaterializer materializer, MuxOptions? options = null)
    {
        var (a, b) = await SocketPair.CreateAsync();
        var events = new RecordingHandler();
        var opener = new MuxSession("opener", options ?? MuxOptions.Default, new RecordingHandler());
        var acceptor = new MuxSession("acceptor", options ?? MuxOptions.Default, events);
        opener.Start(new SocketChannel(a), materializer);
        acceptor.Start(new SocketChannel(b), materializer);
        return new MuxPair(opener, acceptor, events, a, b);
    }

    /// <summary>Opens a stream and returns both ends of it.</summary>
    public async Task<(MuxStream Near, MuxStream Far)> OpenAsync(string identity = "test", uint? window = null)
    {
        var near = await Opener.OpenStreamAsync(new OpenPayload("smb.site.test", identity, window ?? Opener.Options.StreamWindow), CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var far = await AcceptorEvents.Opened.Reader.ReadAsync(timeout.Token);
        return (near, far);
    }

    public ValueTask DisposeAsync()
    {
        Opener.Abort(new IOException("test over"));
        Acceptor.Abort(new IOException("test over"));
        OpenerSocket.Dispose();
        AcceptorSocket.Dispose();
        return ValueTask.CompletedTask;
    }
}
