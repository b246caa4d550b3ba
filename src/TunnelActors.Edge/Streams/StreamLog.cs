using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Streams;

/// <summary>
/// A stream's life in the log, with stable event ids and field names (<c>StreamId</c>,
/// <c>TunnelId</c>, <c>ConnectionId</c>, <c>Identity</c>, <c>Application</c>, <c>Node</c>) so
/// `--log-format json` lets one stream be followed from open to close.
/// </summary>
internal static partial class StreamLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information,
        Message = "Stream {StreamId} opened: {Identity} from {Source} to {Hostname} ({Application}) on connection {ConnectionId} of tunnel {TunnelId} at {Node}")]
    public static partial void Opened(ILogger log, string streamId, string identity, string source, string hostname, string? application,
        string connectionId, string tunnelId, string node);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information,
        Message = "Stream {StreamId} of {Identity} ended ({Outcome}): {BytesToOrigin} bytes to origin, {BytesToClient} bytes to client")]
    public static partial void Ended(ILogger log, string streamId, string identity, string outcome, long bytesToOrigin, long bytesToClient);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Stream {StreamId} for {Identity} to {Hostname} refused: {Reason}")]
    public static partial void Refused(ILogger log, string streamId, string identity, string hostname, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Stream {StreamId} of {Identity} to {Application} is being ended: {Reason}")]
    public static partial void Ending(ILogger log, string streamId, string identity, string? application, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Stream {StreamId} of {Identity} abandoned before it carried a byte: {Reason}")]
    public static partial void Abandoned(ILogger log, string streamId, string identity, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Stream {StreamId}: its {Kind} audit event was not recorded: {Reason}")]
    public static partial void AuditFailed(ILogger log, string streamId, string kind, string reason);
}
