using System.Diagnostics.Metrics;

namespace TunnelActors.Origin.Metrics;

/// <summary>
/// Counters the connector's actors update and its /ready reads (thread-safe), published as
/// instruments of the meter <see cref="MeterName"/> that /metrics exports.
/// </summary>
public sealed class ConnectorMetrics : IDisposable
{
    public const string MeterName = "TunnelActors.Connector";

    private int _registeredConnections;
    private long _connectAttempts;
    private long _streamsTotal;
    private int _streamsOpen;
    private long _originErrors;
    private long _bytesToOrigin;
    private long _bytesFromOrigin;

    /// <param name="haConnections">Connections the connector is configured to keep (an alert compares the registered ones to it).</param>
    /// <param name="certificateNotAfter">When the origin certificate expires, for a quick tunnel (a named tunnel's secret does not).</param>
    public ConnectorMetrics(int haConnections = 0, DateTimeOffset? certificateNotAfter = null)
    {
        Meter = new Meter(MeterName);
        Meter.CreateObservableUpDownCounter("tunnelactors_connector_registered_connections", () => RegisteredConnections, description: "Edge connections currently registered.");
        Meter.CreateObservableUpDownCounter("tunnelactors_connector_ha_connections", () => haConnections, description: "Edge connections the connector is configured to keep (--ha-connections).");
        Meter.CreateObservableCounter("tunnelactors_connector_connect_attempts_total", () => Interlocked.Read(ref _connectAttempts), description: "Connection attempts to the edge.");
        Meter.CreateObservableCounter("tunnelactors_connector_streams_total", () => Interlocked.Read(ref _streamsTotal), description: "Streams accepted from the edge.");
        Meter.CreateObservableUpDownCounter("tunnelactors_connector_streams_open", () => StreamsOpen, description: "Streams currently open.");
        Meter.CreateObservableCounter("tunnelactors_connector_origin_errors_total", () => Interlocked.Read(ref _originErrors), description: "Streams refused because the origin service was unreachable.");
        Meter.CreateObservableCounter("tunnelactors_connector_bytes_to_origin_total", () => Interlocked.Read(ref _bytesToOrigin), description: "Bytes relayed to the origin service.");
        Meter.CreateObservableCounter("tunnelactors_connector_bytes_from_origin_total", () => Interlocked.Read(ref _bytesFromOrigin), description: "Bytes relayed from the origin service.");
        if (certificateNotAfter is { } notAfter)
            Meter.CreateObservableGauge("tunnelactors_connector_origin_certificate_expiry_timestamp_seconds", () => notAfter.ToUnixTimeSeconds(),
                unit: null, description: "When the origin certificate expires (Unix time).");
    }

    public Meter Meter { get; }

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

    public void Dispose() => Meter.Dispose();
}
