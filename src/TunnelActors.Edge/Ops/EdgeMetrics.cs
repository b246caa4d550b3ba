using System.Collections.Concurrent;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Edge.Ops;

/// <summary>What an edge node counts for Prometheus (thread-safe; updated by actors and endpoints).</summary>
public sealed class EdgeMetrics
{
    // Client handshake (upgrade request to stream open) buckets in seconds: loopback is ~10 ms, a WAN a few 100 ms.
    private static readonly double[] HandshakeBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly long[] _handshakeCounts = new long[HandshakeBounds.Length + 1];
    private readonly ConcurrentDictionary<string, long> _refusals = new();
    private readonly ConcurrentDictionary<string, long> _decisions = new();
    private readonly ConcurrentDictionary<string, long> _phaseMicros = new();
    private readonly ConcurrentDictionary<string, long> _phaseCounts = new();
    private long _handshakeMicros;
    private int _connections;
    private long _connectionsTotal;
    private int _streamsOpen;
    private long _streamsTotal;
    private long _bytesToOrigin;
    private long _bytesToClient;

    public void ConnectionRegistered()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _connectionsTotal);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    /// <summary>Client streams this node is relaying now.</summary>
    public int StreamsOpen => Volatile.Read(ref _streamsOpen);

    /// <summary>Connector connections registered on this node now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A client or connector was turned away; <paramref name="reason"/> is a short stable key (e.g. status code).</summary>
    public void Refused(string reason) => _refusals.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public void Decided(bool allowed) => _decisions.AddOrUpdate(allowed ? "allow" : "deny", 1, (_, n) => n + 1);

    public void StreamOpened(TimeSpan handshake)
    {
        Interlocked.Increment(ref _streamsOpen);
        Interlocked.Increment(ref _streamsTotal);
        var bucket = Array.FindIndex(HandshakeBounds, b => handshake.TotalSeconds <= b);
        Interlocked.Increment(ref _handshakeCounts[bucket < 0 ? HandshakeBounds.Length : bucket]);
        Interlocked.Add(ref _handshakeMicros, (long)handshake.TotalMicroseconds);
    }

    /// <summary>Time a new stream spent in one phase of its opening (authenticate, route lookup, open on a connection): where time to first byte goes.</summary>
    public void StreamPhase(string phase, TimeSpan elapsed)
    {
        _phaseMicros.AddOrUpdate(phase, (long)elapsed.TotalMicroseconds, (_, n) => n + (long)elapsed.TotalMicroseconds);
        _phaseCounts.AddOrUpdate(phase, 1, (_, n) => n + 1);
    }

    public void StreamClosed(long toOrigin, long toClient)
    {
        Interlocked.Decrement(ref _streamsOpen);
        Interlocked.Add(ref _bytesToOrigin, toOrigin);
        Interlocked.Add(ref _bytesToClient, toClient);
    }

    public string Render() => new PrometheusText()
        .Gauge("tunnelactors_edge_connections", "Connector connections registered on this node.", Volatile.Read(ref _connections))
        .Counter("tunnelactors_edge_connections_total", "Connector connections registered since start.", Interlocked.Read(ref _connectionsTotal))
        .Gauge("tunnelactors_edge_streams_open", "Client streams open on this node.", Volatile.Read(ref _streamsOpen))
        .Counter("tunnelactors_edge_streams_total", "Client streams opened since start.", Interlocked.Read(ref _streamsTotal))
        .Counter("tunnelactors_edge_bytes_to_origin_total", "Bytes relayed from clients towards origins.", Interlocked.Read(ref _bytesToOrigin))
        .Counter("tunnelactors_edge_bytes_to_client_total", "Bytes relayed from origins to clients.", Interlocked.Read(ref _bytesToClient))
        .Labelled("tunnelactors_edge_refusals_total", "counter", "Clients and connectors turned away, by reason.", "reason", _refusals)
        .Labelled("tunnelactors_edge_access_decisions_total", "counter", "Access policy decisions.", "decision", _decisions)
        .Labelled("tunnelactors_edge_stream_open_phase_microseconds_total", "counter", "Time new client streams spent opening, by phase (with _phase_total: the mean).", "phase", _phaseMicros)
        .Labelled("tunnelactors_edge_stream_open_phase_total", "counter", "New client streams timed, by phase.", "phase", _phaseCounts)
        .Histogram("tunnelactors_edge_client_handshake_seconds", "From a client's upgrade request to its stream being open.",
            HandshakeBounds, _handshakeCounts.Select(c => Interlocked.Read(ref c)).ToArray(), Interlocked.Read(ref _handshakeMicros) / 1e6)
        .ToString();
}
