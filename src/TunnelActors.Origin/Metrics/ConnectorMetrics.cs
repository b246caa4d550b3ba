using TunnelActors.Transport.Hosting;

namespace TunnelActors.Origin.Metrics;

/// <summary>Counters the connector's actors update and its /metrics and /ready read (thread-safe).</summary>
public sealed class ConnectorMetrics
{
    private int _registeredConnections;
    private long _connectAttempts;
    private long _streamsTotal;
    private int _streamsOpen;
    private long _originErrors;
    private long _bytesToOrigin;
    private long _bytesFromOrigin;

    public int RegisteredConnections => Volatile.Read(ref _registeredConnections);
    public int StreamsOpen => Volatile.Read(ref _streamsOpen);

    public void ConnectionRegistered() => Interlocked.Increment(ref _registeredConnections);
    public void ConnectionLost() => Interlocked.Decrement(ref _registeredConnections);
    public void ConnectAttempted() => Interlocked.Increment(ref _connectAttempts);
    public void OriginError() => Interlocked.Increment(ref _originErrors);

    public void StreamStarted()
    {
        Interlocked.Increment(ref _streamsTotal);
        Interlocked.Increment(ref _streamsOpen);
    }

    public void StreamEnded(long toOrigin, long fromOrigin)
    {
        Interlocked.Decrement(ref _streamsOpen);
        Interlocked.Add(ref _bytesToOrigin, toOrigin);
        Interlocked.Add(ref _bytesFromOrigin, fromOrigin);
    }

    /// <summary>Prometheus text exposition format.</summary>
    public string Render() => new PrometheusText()
        .Gauge("tunnelactors_connector_registered_connections", "Edge connections currently registered.", RegisteredConnections)
        .Counter("tunnelactors_connector_connect_attempts_total", "Connection attempts to the edge.", Interlocked.Read(ref _connectAttempts))
        .Counter("tunnelactors_connector_streams_total", "Streams accepted from the edge.", Interlocked.Read(ref _streamsTotal))
        .Gauge("tunnelactors_connector_streams_open", "Streams currently open.", StreamsOpen)
        .Counter("tunnelactors_connector_origin_errors_total", "Streams refused because the origin service was unreachable.", Interlocked.Read(ref _originErrors))
        .Counter("tunnelactors_connector_bytes_to_origin_total", "Bytes relayed to the origin service.", Interlocked.Read(ref _bytesToOrigin))
        .Counter("tunnelactors_connector_bytes_from_origin_total", "Bytes relayed from the origin service.", Interlocked.Read(ref _bytesFromOrigin))
        .ToString();
}
