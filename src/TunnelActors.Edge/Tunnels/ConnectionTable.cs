using Akka.Actor;

namespace TunnelActors.Edge.Tunnels;

/// <summary>
/// The live connections of tunnels, as announced by heartbeats, and the choice of one per new
/// stream: a connection on the requester's node first, then the least loaded; connections of a
/// draining edge, or gone silent, only as a last resort (while their connector's replacements
/// connect). Shared by the cluster-wide <see cref="TunnelEntity"/> and each node's local index, so
/// both pick alike.
/// Not thread-safe: owned by one actor.
/// </summary>
public sealed class ConnectionTable
{
    private sealed record Entry(ConnectionHeartbeat Heartbeat, DateTime LastSeen, int Picked);

    private readonly Dictionary<string, Entry> _connections = new();

    public int Count => _connections.Count;

    /// <summary>A connection unheard of for this long missed a heartbeat: picked only when nothing better is left.</summary>
    public static TimeSpan LateAfter(TimeSpan heartbeatInterval) => heartbeatInterval * 1.5;

    /// <summary>Three missed heartbeats: long enough to ride out a GC pause, short enough to stop routing to the dead.</summary>
    public static TimeSpan GoneAfter(TimeSpan heartbeatInterval) => heartbeatInterval * 3;

    /// <summary>Records a heartbeat; true when the connection is new to the table.</summary>
    public bool Beat(ConnectionHeartbeat beat, DateTime now)
    {
        var isNew = !_connections.ContainsKey(beat.ConnectionId);
        _connections[beat.ConnectionId] = new Entry(beat, now, 0);
        return isNew;
    }

    public ConnectionHeartbeat? Forget(string connectionId) =>
        _connections.Remove(connectionId, out var entry) ? entry.Heartbeat : null;

    /// <summary>Forgets every connection <paramref name="actor"/> announced; returns their ids.</summary>
    public IReadOnlyList<string> ForgetActor(IActorRef actor)
    {
        var ids = _connections.Where(c => c.Value.Heartbeat.Connection.Equals(actor)).Select(c => c.Key).ToList();
        foreach (var id in ids) _connections.Remove(id);
        return ids;
    }

    /// <summary>Forgets connections silent since <paramref name="cutoff"/>; returns them.</summary>
    public IReadOnlyList<ConnectionHeartbeat> Expire(DateTime cutoff)
    {
        var stale = _connections.Values.Where(e => e.LastSeen < cutoff).Select(e => e.Heartbeat).ToList();
        foreach (var beat in stale) _connections.Remove(beat.ConnectionId);
        return stale;
    }

    /// <summary>Picks a connection of <paramref name="tunnelId"/> for a new stream, or null if it has none.</summary>
    /// <param name="staleBefore">Connections last heard of before this (a heartbeat missed: their edge may be frozen or cut
    /// off) come after every other, like draining ones: used while nothing better is left.</param>
    /// <param name="except">A connection that just refused a stream: not picked again for its retry.</param>
    public ConnectionPicked? Pick(string tunnelId, string requesterNode, DateTime? staleBefore = null, string? except = null)
    {
        // Streams picked since the last heartbeat count too, so a burst spreads instead of piling on one connection.
        var best = _connections.Values
            .Where(e => e.Heartbeat.TunnelId == tunnelId && e.Heartbeat.ConnectionId != except)
            .OrderBy(e => e.Heartbeat.Draining || e.LastSeen < staleBefore ? 1 : 0)
            .ThenBy(e => e.Heartbeat.EdgeNode == requesterNode ? 0 : 1)
            .ThenBy(e => e.Heartbeat.OpenStreams + e.Picked)
            .FirstOrDefault();
        if (best is null) return null;
        _connections[best.Heartbeat.ConnectionId] = best with { Picked = best.Picked + 1 };
        return new ConnectionPicked(best.Heartbeat.ConnectionId, best.Heartbeat.Connection, best.Heartbeat.EdgeNode, best.Heartbeat.PeerUrl);
    }

    public IEnumerable<(ConnectionHeartbeat Heartbeat, DateTime LastSeen)> Entries =>
        _connections.Values.Select(e => (e.Heartbeat, e.LastSeen));
}
