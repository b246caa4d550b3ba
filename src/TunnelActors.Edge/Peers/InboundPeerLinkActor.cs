using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
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
    private sealed record Tick;
    private sealed record CloseWhenIdle;

    private readonly ILogger _log = Context.Logger<InboundPeerLinkActor>();
    private readonly AcceptPeerLink _accept;
    private readonly Hosting.EdgeOptions _options;
    private MuxConnection _mux = null!; // started in PreStart

    public InboundPeerLinkActor(AcceptPeerLink accept, IActorRef streams, Hosting.EdgeOptions options)
    {
        (_accept, _options) = (accept, options);
        Receive<MuxStreamOpened>(m => streams.Tell(new RelayPeerStream(m.Stream, accept.RemoteAddress)));
        // The dialling edge pings; one that vanished without a FIN is noticed here too.
        Receive<Tick>(_ =>
        {
            if (_mux.KeepAlive(options.ConnectionIdleTimeout, $"peer edge {accept.RemoteAddress}") is { } cut) PeerLinkLog.Silent(_log, PeerLinkLog.From, accept.RemoteAddress, cut);
        });
        Receive<MuxLinkEnded>(ended =>
        {
            if (ended.Error is null) PeerLinkLog.Closed(_log, PeerLinkLog.From, accept.RemoteAddress);
            else PeerLinkLog.Lost(_log, PeerLinkLog.From, accept.RemoteAddress, ended.Describe);
            Context.Stop(Self);
        });
        Receive<MuxStreamError>(e => PeerLinkLog.StreamReset(_log, PeerLinkLog.From, accept.RemoteAddress, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(m => PeerLinkLog.ControlFrame(_log, PeerLinkLog.From, accept.RemoteAddress, m.Frame.Type));
        Receive<Connections.DrainConnection>(drain =>
        {
            _mux.GoAway(drain.Reason);
            Timers.StartPeriodicTimer("idle", new CloseWhenIdle(), TimeSpan.FromMilliseconds(200));
        });
        Receive<CloseWhenIdle>(_ =>
        {
            if (_mux.StreamCount == 0) _mux.Close(ProtocolError.None, "edge is shutting down");
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        PeerLinkLog.Up(_log, PeerLinkLog.From, _accept.RemoteAddress);
        _mux = MuxLink.Start(Context, $"peer-from-{_accept.RemoteAddress}", _options.Mux, new WebSocketChannel(_accept.WebSocket));
        Timers.StartPeriodicTimer("tick", new Tick(), _options.HeartbeatInterval);
    }

    protected override void PostStop()
    {
        _mux.Abort(new IOException("peer link actor stopped"));
        _accept.Done.TrySetResult();
    }
}
