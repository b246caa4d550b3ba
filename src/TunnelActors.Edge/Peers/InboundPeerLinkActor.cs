using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using TunnelActors.Edge.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// A link another edge dialled to this one. Each stream it opens is for a tunnel with a
/// connection on this node: it becomes a stream actor here (<see cref="RelayPeerStream"/>), which
/// decides again with this edge's policies, joins it to a stream on that connection, or resets
/// it with the reason, which the dialling edge passes on to its client.
/// </summary>
public sealed class InboundPeerLinkActor : ReceiveActor, IWithTimers
{
    private sealed record SessionEnded(Exception? Error);
    private sealed record CloseWhenIdle;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AcceptPeerLink _accept;
    private readonly MuxSession _session;

    public InboundPeerLinkActor(AcceptPeerLink accept, IActorRef streams, MuxOptions mux)
    {
        _accept = accept;
        _session = new MuxSession($"peer-from-{accept.RemoteAddress}", mux, new ActorMuxHandler(Self));
        Receive<MuxStreamOpened>(m => streams.Tell(new RelayPeerStream(m.Stream, accept.RemoteAddress)));
        Receive<SessionEnded>(ended =>
        {
            if (ended.Error is null) _log.Info("Peer link from {0} closed", accept.RemoteAddress);
            else _log.Warning("Peer link from {0} lost: {1}", accept.RemoteAddress, ended.Error.GetBaseException().Message);
            Context.Stop(Self);
        });
        Receive<MuxStreamError>(e => _log.Warning("Peer link from {0}: stream {1} reset: {2}", accept.RemoteAddress, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(m => _log.Info("Peer link from {0}: {1} from the peer", accept.RemoteAddress, m.Frame.Type));
        Receive<Connections.DrainConnection>(drain =>
        {
            _session.GoAway(drain.Reason);
            Timers.StartPeriodicTimer("idle", new CloseWhenIdle(), TimeSpan.FromMilliseconds(200));
        });
        Receive<CloseWhenIdle>(_ =>
        {
            if (_session.StreamCount == 0) _session.Close(ProtocolError.None, "edge is shutting down");
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _log.Info("Peer link from {0} up", _accept.RemoteAddress);
        _session.Start(new WebSocketChannel(_accept.WebSocket), Context.Materializer());
        _session.Completion.PipeTo(Self, success: () => new SessionEnded(null), failure: e => new SessionEnded(e));
    }

    protected override void PostStop()
    {
        _session.Abort(new IOException("peer link actor stopped"));
        _accept.Done.TrySetResult();
    }
}
