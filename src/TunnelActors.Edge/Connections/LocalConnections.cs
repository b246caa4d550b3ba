using Akka.Actor;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Connections;

/// <summary>
/// This node's registered origin connections, read by stream routing without a message round trip: each
/// connection actor announces itself here with every heartbeat and withdraws when it stops serving, and a
/// new stream is picked (as the tunnel's entity would pick: <see cref="ConnectionTable"/>) and opened on that
/// connection's mux from the routing task's own thread. A client on this node is so served without asking
/// the tunnel's sharded entity (no cluster hop per stream, no dependence on the node hosting it). A lock:
/// the table is small, and nothing under it waits. As in the entity, a connection whose heartbeat is late
/// is picked only when no other can be, and one silent for three heartbeats is dropped: a backstop should
/// its actor ever stop without withdrawing.
/// </summary>
public sealed class LocalConnections(TimeSpan heartbeatInterval, TimeProvider? clock = null)
{
    private readonly Lock _gate = new();
    private readonly ConnectionTable _table = new(heartbeatInterval, clock);
    private readonly Dictionary<string, StreamOpener> _openers = new();

    public void Announce(ConnectionHeartbeat beat, StreamOpener opener)
    {
        lock (_gate)
        {
            _table.Beat(beat);
            _openers[beat.ConnectionId] = opener;
        }
    }

    public void Withdraw(string connectionId)
    {
        lock (_gate)
        {
            _table.Forget(connectionId);
            _openers.Remove(connectionId);
        }
    }

    /// <summary>A connection of <paramref name="tunnelId"/> on this node for a new stream (not <paramref name="except"/>), or null if it has none here.</summary>
    public (ConnectionPicked Connection, StreamOpener Opener)? Pick(string tunnelId, string nodeName, string? except = null)
    {
        lock (_gate)
        {
            foreach (var expired in _table.Expire()) _openers.Remove(expired.ConnectionId);
            return _table.Pick(tunnelId, nodeName, except) is { } picked ? (picked, _openers[picked.ConnectionId]) : null;
        }
    }
}

/// <summary>
/// Opens streams on one registered connection's mux, for routing on this node and for the connection actor
/// alike. Closed once the connection stops taking new streams (its connector or edge drains it, it ends).
/// </summary>
public sealed class StreamOpener(MuxConnection mux)
{
    /// <summary>The fixed per-stream window of connectors without auto-tuning.</summary>
    private const uint LegacyStreamWindow = 1024 * 1024;

    private volatile string? _closed;

    public void Close(string reason) => _closed ??= reason;

    /// <summary><see cref="StreamOpened"/>, or <see cref="StreamRefused"/> with the reason.</summary>
    public async Task<object> OpenAsync(OpenStream open)
    {
        if (_closed is { } reason) return new StreamRefused(reason);
        // A connector that offered no connection window predates auto-tuning: its windows stay at
        // what we open with, so give it the fixed window it was built for.
        var payload = mux.HasConnectionWindow ? open.Open : open.Open with { InitialWindow = Math.Max(open.Open.InitialWindow, LegacyStreamWindow) };
        try
        {
            var stream = await mux.OpenStreamAsync(payload, CancellationToken.None);
            return open.Handoff.Deliver(stream) ? new StreamOpened(stream) : new StreamRefused("the requester gave up");
        }
        catch (Exception e)
        {
            return new StreamRefused(e.Message);
        }
    }
}
