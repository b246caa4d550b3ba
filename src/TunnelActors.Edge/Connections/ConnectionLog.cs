using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Connections;

/// <summary>A connector connection's life on the edge: stable event ids 1001–1099, fields ConnectionId, TunnelId, Remote.</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Connection {ConnectionId} registered {Tunnel} replica {ReplicaId} from {Remote} (zone {Zone}) for tunnel {TunnelId}")]
    public static partial void Registered(ILogger log, string connectionId, string tunnel, string replicaId, string remote, string zone, string tunnelId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Remote} refused: {Reason}")]
    public static partial void Refused(ILogger log, string connectionId, string remote, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: {Reason}, dropping it")]
    public static partial void Silent(ILogger log, string connectionId, string reason);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning,
        Message = "Connection {ConnectionId}: connector silent for {Seconds:0.0} s; new streams go to its tunnel's other connections first")]
    public static partial void Suspect(ILogger log, string connectionId, double seconds);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Information, Message = "Connection {ConnectionId}: connector heard again; routable as before")]
    public static partial void HeardAgain(ILogger log, string connectionId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Connection {ConnectionId}: connector is draining ({Reason}); no new streams here")]
    public static partial void ConnectorDraining(ILogger log, string connectionId, string reason);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Connection {ConnectionId}: {Reason}; GOAWAY sent, {OpenStreams} open streams may finish")]
    public static partial void EdgeDraining(ILogger log, string connectionId, string reason, int openStreams);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: its origin certificate {Serial} was revoked; closing it")]
    public static partial void CertificateRevoked(ILogger log, string connectionId, string serial);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Connection {ConnectionId} {Change} by an operator")]
    public static partial void OperatorDrain(ILogger log, string connectionId, string change);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Connection {ConnectionId} closed by an operator: {Reason}")]
    public static partial void OperatorClosed(ILogger log, string connectionId, string reason);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Connection {ConnectionId} of tunnel {TunnelId} closed")]
    public static partial void Closed(ILogger log, string connectionId, string? tunnelId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Connection {ConnectionId} of tunnel {TunnelId} lost: {Reason}")]
    public static partial void Lost(ILogger log, string connectionId, string? tunnelId, string reason);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Connection {ConnectionId} stream {MuxStreamId} reset: {Reason}")]
    public static partial void StreamReset(ILogger log, string connectionId, uint muxStreamId, string reason);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: unexpected {FrameType} ignored ({Suppressed} more not logged)")]
    public static partial void UnexpectedFrame(ILogger log, string connectionId, Protocol.FrameType frameType, int suppressed);
}
