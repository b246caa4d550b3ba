using TunnelActors.Edge.Ops;
using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using Akka.Actor;

namespace TunnelActors.Edge.Tunnels;

/// <summary>
/// One tunnel, cluster-sharded by id. Knows the tunnel's live connections on every edge node
/// and picks one per new stream (see <see cref="ConnectionTable"/>). Its state is soft:
/// connections re-announce themselves every heartbeat, so when sharding moves the entity to
/// another node it is whole again within one heartbeat, and entries that stop announcing
/// themselves expire. Nothing durable lives here.
/// </summary>
public sealed class TunnelEntity : ReceiveActor, IWithTimers
{
    private sealed record Sweep;

    private readonly ConnectionTable _connections;
    private readonly ILogger _log = Context.Logger<TunnelEntity>();
    private readonly TimeSpan _heartbeatInterval;
    private readonly EdgeMetrics _metrics;

    public TunnelEntity(string tunnelId, TimeSpan heartbeatInterval, EdgeMetrics metrics, TimeProvider? clock = null)
    {
        _connections = new ConnectionTable(heartbeatInterval, clock);
        _heartbeatInterval = heartbeatInterval;
        _metrics = metrics;

        Receive<ConnectionHeartbeat>(beat =>
        {
            if (!_connections.Beat(beat)) return;
            Context.Watch(beat.Connection);
            TunnelLog.ConnectionLive(_log, tunnelId, beat.ConnectionId, beat.ReplicaId, beat.EdgeNode);
        });
        Receive<ConnectionClosed>(closed =>
        {
            if (_connections.Forget(closed.ConnectionId) is not null) Removed(closed.ConnectionId, "closed");
        });
        Receive<Terminated>(t =>
        {
            foreach (var id in _connections.ForgetActor(t.ActorRef)) Removed(id, "its actor stopped or its node left");
        });
        // A connection whose heartbeat is late (its edge frozen or partitioned away) gets new streams only when no other can.
        Receive<PickConnection>(pick => Sender.Tell(_connections.Pick(tunnelId, pick.RequesterNode)
            ?? (object)new NoConnection(tunnelId, $"no connector is connected for {tunnelId}")));
        Receive<GetTunnelState>(_ => Sender.Tell(new TunnelState(tunnelId, _connections.Entries
            .Select(e => new TunnelConnection(e.Heartbeat.ConnectionId, e.Heartbeat.Connection, e.Heartbeat.EdgeNode,
                e.Heartbeat.ConnectorId, e.Heartbeat.ReplicaId, e.Heartbeat.OpenStreams, e.LastSeen))
            .OrderBy(c => c.ConnectionId).ToList())));
        Receive<Sweep>(_ =>
        {
            foreach (var beat in _connections.Expire())
                Removed(beat.ConnectionId, $"no heartbeat for {_connections.GoneAfter.TotalSeconds:0.#} s");
        });

        void Removed(string connectionId, string why) => TunnelLog.ConnectionRemoved(_log, tunnelId, connectionId, why);
    }

    protected override void PreStart()
    {
        _metrics.TunnelEntityStarted(); // summed over the cluster, one per tunnel: two copies of a tunnel show
        Timers.StartPeriodicTimer("sweep", new Sweep(), _heartbeatInterval);
    }

    protected override void PostStop() => _metrics.TunnelEntityStopped();

    public ITimerScheduler Timers { get; set; } = null!;
}
