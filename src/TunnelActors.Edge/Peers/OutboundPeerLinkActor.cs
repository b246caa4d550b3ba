using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using Akka.Streams;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Hosting;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// This node's multiplexed link to one peer edge, carrying the streams of clients here to
/// tunnel connections there. Bytes never touch Akka remoting (bulk traffic there delays
/// cluster heartbeats); each stream has its own credit window, so backpressure runs end to
/// end: client ⇄ this edge ⇄ peer edge ⇄ connector. Dials on creation, queues (boundedly)
/// the streams asked for meanwhile, and stops when the link ends: the next stream redials.
/// A failed dial is remembered for <see cref="DefaultRedialBackoff"/>: streams asked for meanwhile are
/// refused at once with the cause, instead of each waiting out another dial to a dead peer.
/// </summary>
public sealed class OutboundPeerLinkActor : ReceiveActor, IWithTimers
{
    private const int MaxPending = 1024;
    public static readonly TimeSpan DefaultRedialBackoff = TimeSpan.FromSeconds(2);

    private sealed record Dialled(System.Net.WebSockets.ClientWebSocket Socket);
    private sealed record DialFailed(Exception Error);
    private sealed record Tick;
    private sealed record Redial;

    private readonly ILogger _log = Context.Logger<OutboundPeerLinkActor>();
    private readonly List<(IActorRef ReplyTo, OpenStream Open)> _pending = new();
    private readonly string _peerUrl;
    private readonly EdgeOptions _options;
    private readonly TimeSpan _redialBackoff;
    private MuxConnection? _mux;

    public OutboundPeerLinkActor(string peerUrl, EdgeDialer dialer, string peerToken, EdgeOptions options, TimeSpan? redialBackoff = null)
    {
        (_peerUrl, _options, _redialBackoff) = (peerUrl, options, redialBackoff ?? DefaultRedialBackoff);
        dialer.ConnectAsync(PeerEndpoint.Path, null, [new(PeerEndpoint.TokenHeader, peerToken)], CancellationToken.None)
            .PipeTo(Self, success: r => new Dialled(r.Socket), failure: e => new DialFailed(e));
        Dialling();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Dialling()
    {
        Receive<OpenStream>(open =>
        {
            if (_pending.Count >= MaxPending) Sender.Tell(new StreamRefused($"peer link to {_peerUrl} is still connecting with {MaxPending} streams waiting"));
            else _pending.Add((Sender, open));
        });
        Receive<Dialled>(d =>
        {
            _mux = MuxLink.Start(Context, $"peer-{_peerUrl}", _options.Mux, new WebSocketChannel(d.Socket));
            Timers.StartPeriodicTimer("tick", new Tick(), _options.HeartbeatInterval);
            PeerLinkLog.Up(_log, PeerLinkLog.To, _peerUrl);
            Become(Linked);
            foreach (var (replyTo, open) in _pending) Open(open, replyTo);
            _pending.Clear();
        });
        Receive<DialFailed>(f =>
        {
            var reason = $"cannot reach peer edge {_peerUrl}: {f.Error.GetBaseException().Message}";
            PeerLinkLog.Unreachable(_log, _peerUrl, f.Error.GetBaseException().Message);
            foreach (var (replyTo, _) in _pending) replyTo.Tell(new StreamRefused(reason));
            _pending.Clear();
            Timers.StartSingleTimer("redial", new Redial(), _redialBackoff);
            Become(() => Unreachable(reason));
        });
    }

    private void Unreachable(string reason)
    {
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused($"{reason} (next attempt within {_redialBackoff.TotalSeconds:0} s)")));
        Receive<Redial>(_ => Context.Stop(Self)); // the next stream creates a link that dials again
    }

    private void Linked()
    {
        Receive<OpenStream>(open => Open(open, Sender));
        Receive<Tick>(_ =>
        {
            if (_mux!.KeepAlive(_options.ConnectionIdleTimeout, $"peer edge {_peerUrl}") is { } cut) PeerLinkLog.Silent(_log, PeerLinkLog.To, _peerUrl, cut);
        });
        Receive<MuxLinkEnded>(ended =>
        {
            if (ended.Error is null) PeerLinkLog.Closed(_log, PeerLinkLog.To, _peerUrl);
            else PeerLinkLog.Lost(_log, PeerLinkLog.To, _peerUrl, ended.Describe);
            Context.Stop(Self);
        });
        Receive<MuxStreamError>(e => PeerLinkLog.StreamReset(_log, PeerLinkLog.To, _peerUrl, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(m =>
        {
            PeerLinkLog.ControlFrame(_log, PeerLinkLog.To, _peerUrl, m.Frame.Type);
            // The peer is shutting down: no new streams here; the open ones finish, then it closes.
            if (m.Frame.Type == Protocol.FrameType.GoAway) Become(Retiring);
        });
        Receive<MuxStreamOpened>(m => m.Stream.Abort(new Protocol.ProtocolException(Protocol.ProtocolError.StreamState, "streams on a peer link are opened by the dialling edge")));
    }

    private void Retiring()
    {
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused($"peer edge {_peerUrl} is shutting down")));
        Receive<Tick>(_ => { });
        Receive<MuxLinkEnded>(_ => Context.Stop(Self));
        Receive<MuxStreamError>(e => PeerLinkLog.StreamReset(_log, PeerLinkLog.To, _peerUrl, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(_ => { });
    }

    private void Open(OpenStream open, IActorRef replyTo) =>
        _mux!.OpenStreamAsync(open.Open, CancellationToken.None)
            .PipeTo(replyTo, success: stream => open.Handoff.Deliver(stream) ? new StreamOpened(stream) : new StreamRefused("the requester gave up"),
                failure: e => new StreamRefused($"peer link to {_peerUrl}: {e.Message}"));

    protected override void PostStop() => _mux?.Abort(new IOException("peer link actor stopped"));
}
