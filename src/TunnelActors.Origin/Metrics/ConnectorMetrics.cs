using System.Text;

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
    public string Render()
    {
        var text = new StringBuilder();
        void Metric(string name, string type, string help, long value) =>
            text.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");
        Metric("tunnelactors_connector_registered_connections", "gauge", "Edge connections currently registered.", RegisteredConnections);
        Metric("tunnelactors_connector_connect_attempts_total", "counter", "Connection attempts to the edge.", Interlocked.Read(ref _connectAttempts));
        Metric("tunnelactors_connector_streams_total", "counter", "Streams accepted from the edge.", Interlocked.Read(ref _streamsTotal));
        Metric("tunnelactors_connector_streams_open", "gauge", "Streams currently open.", StreamsOpen);
        Metric("tunnelactors_connector_origin_errors_total", "counter", "Streams refused because the origin service was unreachable.", Interlocked.Read(ref _originErrors));
        Metric("tunnelactors_connector_bytes_to_origin_total", "counter", "Bytes relayed to the origin service.", Interlocked.Read(ref _bytesToOrigin));
        Metric("tunnelactors_connector_bytes_from_origin_total", "counter", "Bytes relayed from the origin service.", Interlocked.Read(ref _bytesFromOrigin));
        return text.ToString();
    }
}
