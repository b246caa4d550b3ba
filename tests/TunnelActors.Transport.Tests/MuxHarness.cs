using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Tests.Shared;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>Collects what a session reports, for assertions.</summary>
public sealed class RecordingHandler : IMuxHandler
{
    public Channel<MuxStream> Opened { get; } = Channel.CreateUnbounded<MuxStream>();
    public Channel<Frame> Control { get; } = Channel.CreateUnbounded<Frame>();
    public Channel<(uint StreamId, ProtocolException Error)> StreamErrors { get; } = Channel.CreateUnbounded<(uint, ProtocolException)>();

    public void OnStreamOpened(MuxStream stream) => Opened.Writer.TryWrite(stream);
    public void OnControlFrame(Frame frame) => Control.Writer.TryWrite(frame);
    public void OnStreamError(uint streamId, ProtocolException error, int suppressed)
    {
        StreamErrors.Writer.TryWrite((streamId, error));
        Interlocked.Add(ref _suppressed, suppressed);
    }

    private int _suppressed;

    /// <summary>Protocol errors the session held back from reporting (its log budget).</summary>
    public int Suppressed => Volatile.Read(ref _suppressed);
}

/// <summary>
/// An edge-side session (opens streams) and a connector-side session (accepts them) over one
/// carrier: in memory by default, or a loopback TCP socket pair.
/// </summary>
public sealed class MuxPair : IAsyncDisposable
{
    private readonly Action _disposeCarriers;

    private MuxPair(MuxConnection opener, RecordingHandler openerEvents, IByteChannel openerCarrier,
        MuxConnection acceptor, RecordingHandler acceptorEvents, IByteChannel acceptorCarrier, Action disposeCarriers)
    {
        (Opener, OpenerEvents, OpenerCarrier) = (opener, openerEvents, openerCarrier);
        (Acceptor, AcceptorEvents, AcceptorCarrier) = (acceptor, acceptorEvents, acceptorCarrier);
        _disposeCarriers = disposeCarriers;
    }

    public MuxConnection Opener { get; }
    public RecordingHandler OpenerEvents { get; }
    public IByteChannel OpenerCarrier { get; }
    public MuxConnection Acceptor { get; }
    public RecordingHandler AcceptorEvents { get; }
    public IByteChannel AcceptorCarrier { get; }

    public static MuxPair StartInMemory(IMaterializer materializer, MuxOptions? options = null, int carrierCapacity = 128 * 1024)
    {
        var (a, b) = InMemoryDuplex.CreatePair(carrierCapacity, "opener", "acceptor");
        return Start(materializer, options, a, b, () => { });
    }

    /// <summary>In memory, each direction delayed by <paramref name="oneWay"/>: a long path for window tests.</summary>
    public static MuxPair StartWithDelay(IMaterializer materializer, TimeSpan oneWay, MuxOptions? options = null)
    {
        var (a, b) = InMemoryDuplex.CreatePair(1 << 20, "opener", "acceptor");
        return Start(materializer, options, new DelayedChannel(a, oneWay), new DelayedChannel(b, oneWay), () => { });
    }

    public static async Task<MuxPair> StartOverTcpAsync(IMaterializer materializer, MuxOptions? options = null)
    {
        var (a, b) = await SocketPair.CreateAsync();
        return Start(materializer, options, new SocketChannel(a), new SocketChannel(b), () => { a.Dispose(); b.Dispose(); });
    }

    private static MuxPair Start(IMaterializer materializer, MuxOptions? options, IByteChannel openerCarrier, IByteChannel acceptorCarrier, Action dispose)
    {
        var openerEvents = new RecordingHandler();
        var acceptorEvents = new RecordingHandler();
        var opener = new MuxConnection("opener", options ?? MuxOptions.Default, openerEvents);
        var acceptor = new MuxConnection("acceptor", options ?? MuxOptions.Default, acceptorEvents);
        opener.Start(openerCarrier, materializer);
        acceptor.Start(acceptorCarrier, materializer);
        return new MuxPair(opener, openerEvents, openerCarrier, acceptor, acceptorEvents, acceptorCarrier, dispose);
    }

    /// <summary>Opens a stream and returns both ends of it.</summary>
    public async Task<(MuxStream Near, MuxStream Far)> OpenAsync(string identity = "test", uint? window = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var near = await Opener.OpenStreamAsync(new OpenPayload("smb.site.test", identity, window ?? Opener.Options.StreamWindow), timeout.Token);
        var far = await AcceptorEvents.Opened.Reader.ReadAsync(timeout.Token);
        Assert.Equal(near.Id, far.Id);
        return (near, far);
    }

    public ValueTask DisposeAsync()
    {
        Opener.Abort(new IOException("test over"));
        Acceptor.Abort(new IOException("test over"));
        _disposeCarriers();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The far end of a session's carrier driven by hand: sends crafted (or malformed) frames and
/// decodes what the session sends back.
/// </summary>
public sealed class RawPeer(IByteChannel carrier)
{
    private readonly FrameReader _reader = new(new FrameLimits { MaxDataPayload = 1 << 20, MaxControlPayload = 1 << 20 });
    private readonly Queue<Frame> _pending = new();
    private readonly List<Frame> _decoded = new();
    private readonly byte[] _buffer = new byte[64 * 1024];

    public IByteChannel Carrier { get; } = carrier;

    /// <summary>Every frame read so far, wanted or not.</summary>
    public List<Frame> Seen { get; } = new();

    public async Task SendAsync(CancellationToken cancellationToken, params Frame[] frames)
    {
        foreach (var frame in frames) await Carrier.WriteAsync(FrameCodec.Encode(frame), cancellationToken);
    }

    public ValueTask SendRawAsync(byte[] bytes, CancellationToken cancellationToken) => Carrier.WriteAsync(bytes, cancellationToken);

    /// <summary>Next frame matching <paramref name="wanted"/>; others are skipped (and kept in <see cref="Seen"/>).</summary>
    public async Task<Frame> ReadFrameAsync(Func<Frame, bool> wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            while (_pending.TryDequeue(out var frame))
                if (wanted(frame)) return frame;
            if (!await FillAsync(cancellationToken)) throw new EndOfStreamException("carrier closed before the expected frame");
        }
    }

    /// <summary>Reads until the session closes its side; returns the frames not read yet, but for PINGs (liveness, sent unasked; kept in <see cref="Seen"/>).</summary>
    public async Task<List<Frame>> ReadToEndAsync(CancellationToken cancellationToken)
    {
        while (await FillAsync(cancellationToken)) { }
        _reader.Complete();
        var rest = _pending.Where(f => f.Type != FrameType.Ping).ToList();
        _pending.Clear();
        return rest;
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        var n = await Carrier.ReadAsync(_buffer, cancellationToken);
        if (n == 0) return false;
        _decoded.Clear();
        _reader.Feed(_buffer.AsSpan(0, n), _decoded);
        foreach (var frame in _decoded)
        {
            Seen.Add(frame);
            _pending.Enqueue(frame);
        }
        return true;
    }
}

/// <summary>A session on one end of an in-memory carrier and a <see cref="RawPeer"/> on the other.</summary>
public sealed class RawSession : IAsyncDisposable
{
    private RawSession(MuxConnection session, RecordingHandler events, InMemoryChannel sessionCarrier, RawPeer peer) =>
        (Session, Events, SessionCarrier, Peer) = (session, events, sessionCarrier, peer);

    public MuxConnection Session { get; }
    public RecordingHandler Events { get; }
    public InMemoryChannel SessionCarrier { get; }
    public RawPeer Peer { get; }
    public InMemoryChannel PeerCarrier => (InMemoryChannel)Peer.Carrier;

    public static RawSession Start(IMaterializer materializer, MuxOptions? options = null, int carrierCapacity = 128 * 1024)
    {
        var (sessionEnd, rawEnd) = InMemoryDuplex.CreatePair(carrierCapacity, "session", "raw");
        var events = new RecordingHandler();
        var session = new MuxConnection("session", options ?? MuxOptions.Default, events);
        session.Start(sessionEnd, materializer);
        return new RawSession(session, events, sessionEnd, new RawPeer(rawEnd));
    }

    public ValueTask DisposeAsync()
    {
        Session.Abort(new IOException("test over"));
        PeerCarrier.Abort(new IOException("test over"));
        return ValueTask.CompletedTask;
    }
}
