using Microsoft.Extensions.Logging;

namespace TunnelActors.Origin;

/// <summary>
/// The connector's log: stable event ids 5001–5099, fields Slot (this connector's connection
/// number), Edge, ConnectionId (the edge's id for it, as the edge logs it), MuxStreamId, Identity.
/// </summary>
internal static partial class ConnectorLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Connection {Slot}: cannot connect to edge {Edge}: {Reason}")]
    public static partial void CannotConnect(ILogger log, int slot, Uri edge, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Connection {Slot} registered {Tunnel} with edge {Edge} (node {Node}) as {ConnectionId}")]
    public static partial void Registered(ILogger log, int slot, string tunnel, Uri edge, string node, string connectionId);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Connection {Slot}: edge did not confirm registration in time")]
    public static partial void RegisterTimedOut(ILogger log, int slot);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Connection {Slot}: edge {Edge} answers again; moving back to it")]
    public static partial void MovingBack(ILogger log, int slot, Uri edge);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Connection {Slot} closed")]
    public static partial void Closed(ILogger log, int slot);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Connection {Slot} lost: {Reason}")]
    public static partial void Lost(ILogger log, int slot, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Error, Message = "Connection {Slot}: edge refused this connector: {Reason}")]
    public static partial void RefusedByEdge(ILogger log, int slot, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "Connection {Slot}: edge closed this connection: {Reason}")]
    public static partial void ClosedByEdge(ILogger log, int slot, string reason);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information,
        Message = "Connection {Slot}: edge is draining ({Reason}); a replacement connects elsewhere while {OpenStreams} open streams finish here")]
    public static partial void EdgeDraining(ILogger log, int slot, string reason, int openStreams);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Connection {Slot}: unexpected {FrameType} from the edge ignored")]
    public static partial void UnexpectedFrame(ILogger log, int slot, Protocol.FrameType frameType);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Connection {Slot}: {Reason}, reconnecting")]
    public static partial void Silent(ILogger log, int slot, string reason);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning,
        Message = "Connection {Slot}: edge {Edge} silent for {Seconds:0.0} s; a replacement connects to the next edge while this one keeps its streams until it answers again or is cut at {DeadSeconds:0} s")]
    public static partial void Suspect(ILogger log, int slot, Uri edge, double seconds, double deadSeconds);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Connection {Slot} stream {MuxStreamId} reset: {Reason}")]
    public static partial void StreamReset(ILogger log, int slot, uint muxStreamId, string reason);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning,
        Message = "Stream {MuxStreamId} for {Hostname}: no ingress rule serves it (rule at line {Line}: http_status:{Status})")]
    public static partial void NoIngressRule(ILogger log, uint muxStreamId, string hostname, int line, int? status);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Stream {StreamId} ({MuxStreamId}): {Identity} connected to {Origin}")]
    public static partial void StreamConnected(ILogger log, string streamId, uint muxStreamId, string identity, string origin);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Stream {StreamId} ({MuxStreamId}) for {Identity}: origin {Origin} unreachable: {Reason}")]
    public static partial void OriginUnreachable(ILogger log, string streamId, uint muxStreamId, string identity, Uri origin, string reason);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Debug, Message = "Stream {StreamId} ({MuxStreamId}) for {Identity} done: {BytesToOrigin} B to origin, {BytesToClient} B back")]
    public static partial void StreamDone(ILogger log, string streamId, uint muxStreamId, string identity, long bytesToOrigin, long bytesToClient);

    [LoggerMessage(EventId = 5023, Level = LogLevel.Information, Message = "Stream {StreamId} ({MuxStreamId}) for {Identity} ended: {Reason}")]
    public static partial void StreamAborted(ILogger log, string streamId, uint muxStreamId, string identity, string? reason);

    [LoggerMessage(EventId = 5030, Level = LogLevel.Information, Message = "Connection {Slot}: replacement started, the old connection finishes its streams")]
    public static partial void ReplacementStarted(ILogger log, int slot);

    [LoggerMessage(EventId = 5031, Level = LogLevel.Information, Message = "Draining {Connections} connections for up to {GraceSeconds:0} s")]
    public static partial void Draining(ILogger log, int connections, double graceSeconds);

    [LoggerMessage(EventId = 5032, Level = LogLevel.Information, Message = "Drain finished: {Reason}")]
    public static partial void DrainFinished(ILogger log, string reason);
}
