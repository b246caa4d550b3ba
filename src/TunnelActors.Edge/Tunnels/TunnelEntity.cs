using Akka.Actor;
using Akka.Event;

namespace TunnelActors.Edge.Tunnels;

/// <summary>
/// One tunnel, cluster-sharded by id. Knows the tunnel's live connections and picks one per
/// new stream: a connection on the requester's node first, then the least loaded. Its state
/// is soft: connections re-announce themselves every heartbeat, so when sharding moves the
/// entity to another node it is whole again within one heartbeat, and entries that stop
/// announcing themselves expire. Nothing durable lives here.
/// </summary>
public sealed class TunnelEntity : ReceiveActor, IWithTimers
{
    private sealed record Entry(ConnectionHeartbeat Heartbeat, DateTime LastSeen, int Picked);

    private sealed record Sweep;

    private readonly Dictionary<string, Entry> _connections = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _expireAfter;
    private readonly TimeSpan _heartbeatInterval;

    public TunnelEntity(string tunnelId, TimeSpan heartbeatInterval)
    {
        // Three missed heartbeats: long enough to ride out a GC pause, short enough to stop routing to the dead.
        _expireAfter = heartbeatInterval * 3;

        Receive<ConnectionHeartbeat>(beat =>
        {
            if (!_connections.ContainsKey(beat.ConnectionId))
            {
                Context.Watch(beat.Connection);
                _log.Info("Tunnel {0}: connection {1} from replica {2} on {3} is live", tunnelId, beat.ConnectionId, beat.ReplicaId, beat.EdgeNode);
            }
            _connections[beat.ConnectionId] = new Entry(beat, DateTime.UtcNow, 0);
        });
        Receive<ConnectionClosed>(closed => Forget(closed.ConnectionId, "closed"));
        Receive<Terminated>(t =>
        {
            foreach (var id in _connections.Where(c => c.Value.Heartbeat.Connection.Equals(t.ActorRef)).Select(c => c.Key).ToList())
                Forget(id, "its actor stopped");
        });
        Receive<PickConnection>(pick => Sender.Tell(Pick(tunnelId, pick.RequesterNode)));
        Receive<GetTunnelState>(_ => Sender.Tell(new TunnelState(tunnelId, _connections.Values
            .Select(e => new TunnelConnection(e.Heartbeat.ConnectionId, e.Heartbeat.Connection, e.Heartbeat.EdgeNode,
                e.Heartbeat.ConnectorId, e.Heartbeat.ReplicaId, e.Heartbeat.OpenStreams, e.LastSeen))
            .OrderBy(c => c.ConnectionId).ToList())));
        Receive<Sweep>(_ =>
        {
            var cutoff = DateTime.UtcNow - _expireAfter;
            foreach (var id in _connections.Where(c => c.Value.LastSeen < cutoff).Select(c => c.Key).ToList())
                Forget(id, $"no heartbeat for {_expireAfter.TotalSeconds:0.#} s");
        });
        _heartbeatInterval = heartbeatInterval;
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("sweep", new Sweep(), _heartbeatInterval);

    public ITimerScheduler Timers { get; set; } = null!;

    private object Pick(string tunnelId, string requesterNode)
    {
        if (_connections.Count == 0) return new NoConnection(tunnelId, $"no connector is connected for {tunnelId}");
        // Streams picked since the last heartbeat count too, so a burst spreads instead of piling on one connection.
        var best = _connections.Values
            .OrderBy(e => e.Heartbeat.EdgeNode == requesterNode ? 0 : 1)
            .ThenBy(e => e.Heartbeat.OpenStreams + e.Picked)
            .First();
        _connections[best.Heartbeat.ConnectionId] = best with { Picked = best.Picked + 1 };
        return new ConnectionPicked(best.Heartbeat.ConnectionId, best.Heartbeat.Connection, best.Heartbeat.EdgeNode);
    }

    private void Forget(string connectionId, string why)
    {
        if (_connections.Remove(connectionId, out var entry))
            _log.Info("Tunnel {0}: connection {1} removed ({2})", entry.Heartbeat.TunnelId, connectionId, why);
    }
}
