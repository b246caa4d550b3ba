using Akka.Actor;

namespace TunnelActors.Edge.Tunnels;

/// <summary>
/// The live connections of tunnels, as announced by heartbeats, and the choice of one per new
/// stream: a connection on the requester's node first, then the least loaded; connections of a
/// draining edge, or gone silent, only as a last resort (while their connector's replacements
/// connect). Shared by the cluster-wide <see cref="TunnelEntity"/> and each node's local index, so
/// both pick alike.
/// Not thread-safe: owned by one actor. Time is read from <paramref name="clock"/> (a test's, or the system's).
/// </summary>
public sealed class ConnectionTable(TimeSpan heartbeatInterval, TimeProvider? clock = null)
{
    private sealed record Entry(ConnectionHeartbeat Heartbeat, DateTime LastSeen, int Picked);

    private readonly Dictionary<string, Entry> _connections = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public int Count => _connections.Count;

    /// <summary>A connection unheard of for this long missed a heartbeat: picked only when nothing better is left.</summary>
    public TimeSpan LateAfter { get; } = heartbeatInterval * 1.5;

    /// <summary>Three missed heartbeats: long enough to ride out a GC pause, short enough to stop routing to the dead.</summary>
    public TimeSpan GoneAfter { get; } = heartbeatInterval * 3;

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    /// <summary>Records a heartbeat; true when the connection is new to the table.</summary>
    public bool Beat(ConnectionHeartbeat beat)
    {
        var isNew = !_connections.ContainsKey(beat.ConnectionId);
        _connections[beat.ConnectionId] = new Entry(beat, Now, 0);
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

    /// <summary>Forgets connections silent for <see cref="GoneAfter"/>; returns them.</summary>
    public IReadOnlyList<ConnectionHeartbeat> Expire()
    {
        var cutoff = Now - GoneAfter;
        var stale = _connections.Values.Where(e => e.LastSeen < cutoff).Select(e => e.Heartbeat).ToList();
        foreach (var beat in stale) _connections.Remove(beat.ConnectionId);
        return stale;
    }

    /// <summary>
    /// Picks a connection of <paramref name="tunnelId"/> for a new stream, or null if it has none. One unheard of for
    /// <see cref="LateAfter"/> (its edge may be frozen or cut off) comes after every other, like a draining one: used
    /// while nothing better is left.
    /// </summary>
    /// <param name="except">A connection that just refused a stream: not picked again for its retry.</param>
    public ConnectionPicked? Pick(string tunnelId, string requesterNode, string? except = null)
    {
        var staleBefore = Now - LateAfter;
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
