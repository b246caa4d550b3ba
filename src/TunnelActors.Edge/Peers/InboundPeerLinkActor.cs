using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.Routing;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// A link another edge dialled to this one. Each stream it opens is for a tunnel with a
/// connection on this node: the stream is joined to a new stream on that connection and the
/// bytes relayed both ways. A stream that cannot be placed is reset with the reason, which
/// the dialling edge passes on to its client.
/// </summary>
public sealed class InboundPeerLinkActor : ReceiveActor, IWithTimers
{
    private sealed record SessionEnded(Exception? Error);
    private sealed record RelayEnded(uint StreamId, string Outcome);
    private sealed record CloseWhenIdle;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AcceptPeerLink _accept;
    private readonly MuxSession _session;
    private readonly IMaterializer _materializer = Context.Materializer();

    public InboundPeerLinkActor(AcceptPeerLink accept, StreamRouter router, State.EdgeStore store, PeerAdmission admission)
    {
        _accept = accept;
        _session = new MuxSession($"peer-from-{accept.RemoteAddress}", MuxOptions.Default, new ActorMuxHandler(Self));
        Receive<MuxStreamOpened>(m => RelayAsync(m.Stream, router, store, admission, _materializer)
            .PipeTo(Self, success: outcome => new RelayEnded(m.Stream.Id, outcome), failure: e => new RelayEnded(m.Stream.Id, "failed: " + e.GetBaseException().Message)));
        Receive<RelayEnded>(r => _log.Debug("Peer link from {0}: stream {1} {2}", accept.RemoteAddress, r.StreamId, r.Outcome));
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
        _session.Start(new WebSocketChannel(_accept.WebSocket), _materializer);
        _session.Completion.PipeTo(Self, success: () => new SessionEnded(null), failure: e => new SessionEnded(e));
    }

    protected override void PostStop()
    {
        _session.Abort(new IOException("peer link actor stopped"));
        _accept.Done.TrySetResult();
    }

    // Runs off the actor (PipeTo): the route lookup is a database query.
    private static async Task<string> RelayAsync(MuxStream fromPeer, StreamRouter router, State.EdgeStore store, PeerAdmission admission, IMaterializer materializer)
    {
        MuxStream toOrigin;
        try
        {
            // Decide again here, with this edge's policies: entering through another edge bypasses nothing.
            var open = admission.Admit(fromPeer.Open);
            // The dialling edge resolved the route; resolve it here too (the open frame names the hostname only).
            var route = store.FindRoute(open.Hostname) ?? throw new StreamRouteException($"unknown hostname {open.Hostname}");
            toOrigin = await router.OpenAsync(open, route.ConnectorId, localOnly: true, CancellationToken.None);
        }
        catch (Exception e) when (e is StreamRouteException or ProtocolException)
        {
            fromPeer.Abort(new ProtocolException(ProtocolError.Refused, e.Message));
            return "refused: " + e.Message;
        }
        var result = await ByteRelay.RunAsync(fromPeer, toOrigin, materializer, KillSwitches.Shared($"peer-{fromPeer.Id}"));
        return $"closed: {result.AToB} bytes to origin, {result.BToA} back";
    }
}
