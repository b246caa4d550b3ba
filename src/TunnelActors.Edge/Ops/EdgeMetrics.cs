using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Edge.Ops;

/// <summary>
/// What an edge node counts (thread-safe; updated by actors and endpoints), published as
/// instruments of the meter <see cref="MeterName"/> that /metrics exports. Counts live in plain
/// fields the code also reads (drain, tests); the instruments observe them at each scrape.
/// </summary>
public sealed class EdgeMetrics : IDisposable
{
    public const string MeterName = "TunnelActors.Edge";

    private readonly ConcurrentDictionary<string, long> _refusals = new();
    private readonly ConcurrentDictionary<string, long> _decisions = new();
    private readonly ConcurrentDictionary<string, long> _phaseMicros = new();
    private readonly ConcurrentDictionary<string, long> _phaseCounts = new();
    private readonly Histogram<double> _handshake;
    private int _connections;
    private long _connectionsTotal;
    private int _streamsOpen;
    private long _streamsTotal;
    private long _bytesToOrigin;
    private long _bytesToClient;
    private int _tunnelEntities;

    public EdgeMetrics()
    {
        Meter = new Meter(MeterName);
        Meter.CreateObservableUpDownCounter("tunnelactors_edge_connections", () => Connections, description: "Connector connections registered on this node.");
        // Was tunnelactors_edge_connections_total: in OpenMetrics (what Prometheus asks for) that counter's family is
        // tunnelactors_edge_connections, the gauge's name, and the exporter then dropped both.
        Meter.CreateObservableCounter("tunnelactors_edge_connections_registered_total", () => Interlocked.Read(ref _connectionsTotal), description: "Connector connections registered since start.");
        Meter.CreateObservableUpDownCounter("tunnelactors_edge_streams_open", () => StreamsOpen, description: "Client streams open on this node.");
        Meter.CreateObservableCounter("tunnelactors_edge_streams_total", () => Interlocked.Read(ref _streamsTotal), description: "Client streams opened since start.");
        Meter.CreateObservableCounter("tunnelactors_edge_bytes_to_origin_total", () => Interlocked.Read(ref _bytesToOrigin), description: "Bytes relayed from clients towards origins.");
        Meter.CreateObservableCounter("tunnelactors_edge_bytes_to_client_total", () => Interlocked.Read(ref _bytesToClient), description: "Bytes relayed from origins to clients.");
        Meter.CreateObservableCounter("tunnelactors_edge_refusals_total", () => ByLabel(_refusals, "reason"), description: "Clients and connectors turned away, by reason.");
        Meter.CreateObservableCounter("tunnelactors_edge_access_decisions_total", () => ByLabel(_decisions, "decision"), description: "Access policy decisions.");
        Meter.CreateObservableCounter("tunnelactors_edge_stream_open_phase_microseconds_total", () => ByLabel(_phaseMicros, "phase"),
            description: "Time new client streams spent opening, by phase (with _phase_total: the mean).");
        Meter.CreateObservableCounter("tunnelactors_edge_stream_open_phase_total", () => ByLabel(_phaseCounts, "phase"), description: "New client streams timed, by phase.");
        Meter.CreateObservableUpDownCounter("tunnelactors_edge_tunnel_entities", () => Volatile.Read(ref _tunnelEntities),
            description: "Sharded tunnel entities running on this node (summed over the cluster: one per tunnel).");
        // Client handshake (upgrade request to stream open) in seconds: loopback is ~10 ms, a WAN a few 100 ms.
        _handshake = Meter.CreateHistogram("tunnelactors_edge_client_handshake_seconds", unit: null, description: "From a client's upgrade request to its stream being open.",
            tags: null, advice: Telemetry.Buckets(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5));
    }

    /// <summary>This node's instruments (tests read them with a MeterListener).</summary>
    public Meter Meter { get; }

    /// <summary>Client streams this node is relaying now.</summary>
    public int StreamsOpen => Volatile.Read(ref _streamsOpen);

    /// <summary>Connector connections registered on this node now.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Observes a gauge of this node's other state (cluster membership, certificates) on the same meter.</summary>
    public void Observe(string name, Func<IEnumerable<Measurement<long>>> observe, string description) =>
        Meter.CreateObservableGauge(name, observe, unit: null, description: description);

    public void ConnectionRegistered()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _connectionsTotal);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    public void TunnelEntityStarted() => Interlocked.Increment(ref _tunnelEntities);

    public void TunnelEntityStopped() => Interlocked.Decrement(ref _tunnelEntities);

    /// <summary>A client or connector was turned away; <paramref name="reason"/> is a short stable key (e.g. status code).</summary>
    public void Refused(string reason) => _refusals.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public void Decided(bool allowed) => _decisions.AddOrUpdate(allowed ? "allow" : "deny", 1, (_, n) => n + 1);

    public void StreamOpened(TimeSpan handshake)
    {
        Interlocked.Increment(ref _streamsOpen);
        Interlocked.Increment(ref _streamsTotal);
        _handshake.Record(handshake.TotalSeconds);
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

    public void Dispose() => Meter.Dispose();

    private static IEnumerable<Measurement<long>> ByLabel(ConcurrentDictionary<string, long> values, string label) =>
        values.Select(v => new Measurement<long>(v.Value, new KeyValuePair<string, object?>(label, v.Key)));
}
