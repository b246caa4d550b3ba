using Akka.Actor;
using Akka.Event;
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
/// A failed dial is remembered for <see cref="RedialBackoff"/>: streams asked for meanwhile are
/// refused at once with the cause, instead of each waiting out another dial to a dead peer.
/// </summary>
public sealed class OutboundPeerLinkActor : ReceiveActor, IWithTimers
{
    private const int MaxPending = 1024;
    public static readonly TimeSpan RedialBackoff = TimeSpan.FromSeconds(2);

    private sealed record Dialled(System.Net.WebSockets.ClientWebSocket Socket);
    private sealed record DialFailed(Exception Error);
    private sealed record SessionEnded(Exception? Error);
    private sealed record Tick;
    private sealed record Redial;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<(IActorRef ReplyTo, OpenStream Open)> _pending = new();
    private readonly string _peerUrl;
    private readonly EdgeOptions _options;
    private MuxSession? _session;

    public OutboundPeerLinkActor(string peerUrl, EdgeDialer dialer, string peerToken, EdgeOptions options)
    {
        (_peerUrl, _options) = (peerUrl, options);
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
            _session = new MuxSession($"peer-{_peerUrl}", _options.Mux, new ActorMuxHandler(Self));
            _session.Start(new WebSocketChannel(d.Socket), Context.Materializer());
            _session.Completion.PipeTo(Self, success: () => new SessionEnded(null), failure: e => new SessionEnded(e));
            Timers.StartPeriodicTimer("tick", new Tick(), _options.HeartbeatInterval);
            _log.Info("Peer link to {0} up", _peerUrl);
            Become(Linked);
            foreach (var (replyTo, open) in _pending) Open(open, replyTo);
            _pending.Clear();
        });
        Receive<DialFailed>(f =>
        {
            var reason = $"cannot reach peer edge {_peerUrl}: {f.Error.GetBaseException().Message}";
            _log.Warning("{0}", reason);
            foreach (var (replyTo, _) in _pending) replyTo.Tell(new StreamRefused(reason));
            _pending.Clear();
            Timers.StartSingleTimer("redial", new Redial(), RedialBackoff);
            Become(() => Unreachable(reason));
        });
    }

    private void Unreachable(string reason)
    {
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused($"{reason} (next attempt within {RedialBackoff.TotalSeconds:0} s)")));
        Receive<Redial>(_ => Context.Stop(Self)); // the next stream creates a link that dials again
    }

    private void Linked()
    {
        Receive<OpenStream>(open => Open(open, Sender));
        Receive<Tick>(_ =>
        {
            if (_session!.SinceLastFrame > _options.ConnectionIdleTimeout)
                _session.Abort(new TimeoutException($"peer edge {_peerUrl} silent for {_session.SinceLastFrame.TotalSeconds:0} s"));
            else _session.SendPing();
        });
        Receive<SessionEnded>(ended =>
        {
            if (ended.Error is null) _log.Info("Peer link to {0} closed", _peerUrl);
            else _log.Warning("Peer link to {0} lost: {1}", _peerUrl, ended.Error.GetBaseException().Message);
            Context.Stop(Self);
        });
        Receive<MuxStreamError>(e => _log.Warning("Peer link to {0}: stream {1} reset: {2}", _peerUrl, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(m =>
        {
            _log.Info("Peer link to {0}: {1} from the peer", _peerUrl, m.Frame.Type);
            // The peer is shutting down: no new streams here; the open ones finish, then it closes.
            if (m.Frame.Type == Protocol.FrameType.GoAway) Become(Retiring);
        });
        Receive<MuxStreamOpened>(m => m.Stream.Abort(new Protocol.ProtocolException(Protocol.ProtocolError.StreamState, "streams on a peer link are opened by the dialling edge")));
    }

    private void Retiring()
    {
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused($"peer edge {_peerUrl} is shutting down")));
        Receive<Tick>(_ => { });
        Receive<SessionEnded>(_ => Context.Stop(Self));
        Receive<MuxStreamError>(e => _log.Warning("Peer link to {0}: stream {1} reset: {2}", _peerUrl, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(_ => { });
    }

    private void Open(OpenStream open, IActorRef replyTo) =>
        _session!.OpenStreamAsync(open.Open, CancellationToken.None)
            .PipeTo(replyTo, success: stream => open.Handoff.Deliver(stream) ? new StreamOpened(stream) : new StreamRefused("the requester gave up"),
                failure: e => new StreamRefused($"peer link to {_peerUrl}: {e.Message}"));

    protected override void PostStop() => _session?.Abort(new IOException("peer link actor stopped"));
}
