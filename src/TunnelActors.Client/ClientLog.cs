using Microsoft.Extensions.Logging;

namespace TunnelActors.Client;

/// <summary>`access tcp`'s log: stable event ids 6001–6099, fields Local (the local peer), Hostname, Reason.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "Connection from {Local} to {Hostname} refused: {Reason}")]
    public static partial void Refused(ILogger log, string local, string hostname, string reason);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Connection from {Local} to {Hostname} (stream {StreamId}) ended by the edge: {Reason}")]
    public static partial void EndedByEdge(ILogger log, string local, string hostname, string streamId, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Connection from {Local} (stream {StreamId}) closed: {BytesSent} B sent, {BytesReceived} B received")]
    public static partial void Closed(ILogger log, string local, string streamId, long bytesSent, long bytesReceived);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Connection from {Local} to {Hostname} (stream {StreamId}) aborted: {Reason}")]
    public static partial void Aborted(ILogger log, string local, string hostname, string streamId, string? reason);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "Connection from {Local} to {Hostname} is stream {StreamId} at the edge")]
    public static partial void Connected(ILogger log, string local, string hostname, string streamId);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Accept on {Listen} failed: {Reason}")]
    public static partial void AcceptFailed(ILogger log, System.Net.IPEndPoint listen, string reason);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Refused a connection on {Listen} for {Hostname}: {Open} connections open, the --max-connections limit ({Suppressed} more refused since the last line)")]
    public static partial void AtConnectionLimit(ILogger log, System.Net.IPEndPoint listen, string hostname, int open, int suppressed);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Listening on {Listen} for {Hostname} via {Edges}")]
    public static partial void Listening(ILogger log, System.Net.EndPoint? listen, string hostname, string edges);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "Carrier {Carrier} up: new connections are streams on it")]
    public static partial void CarrierUp(ILogger log, string carrier);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Edge {Edge} offers no multiplexed carrier (an older version?): one WebSocket per connection, asking again in {Minutes} min")]
    public static partial void CarrierNotOffered(ILogger log, string edge, double minutes);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Carrier to {Edges} not connected: {Reason}; next attempt in {Seconds:0.0} s, or at the next connection")]
    public static partial void CarrierDialFailed(ILogger log, string edges, string reason, double seconds);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Carrier {Carrier} closed")]
    public static partial void CarrierClosed(ILogger log, string carrier);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Warning, Message = "Carrier {Carrier} lost: {Reason}")]
    public static partial void CarrierLost(ILogger log, string carrier, string reason);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning, Message = "Carrier {Carrier} cut: {Reason}; its streams fail")]
    public static partial void CarrierSilent(ILogger log, string carrier, string reason);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Carrier {Carrier} takes no new connections ({Reason}); a new carrier is dialled, its {Streams} open streams go on while it answers")]
    public static partial void CarrierRetired(ILogger log, string carrier, string reason, int streams);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Edge {Edge} has not finished its TLS handshake and upgrade within {Seconds:0.0} s: dialling {Next} beside it, the first to answer wins")]
    public static partial void EdgeSlow(ILogger log, string edge, double seconds, string next);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Warning, Message = "Edge {Edge} cannot be used ({Reason}): trying the next edge")]
    public static partial void EdgeFailed(ILogger log, string edge, string reason);
}
