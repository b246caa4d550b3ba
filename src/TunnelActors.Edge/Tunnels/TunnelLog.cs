using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Tunnels;

/// <summary>A tunnel's routing entity: stable event ids 4001–4099, fields TunnelId, ConnectionId, ReplicaId, Node.</summary>
internal static partial class TunnelLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Tunnel {TunnelId}: connection {ConnectionId} from replica {ReplicaId} on {Node} is live")]
    public static partial void ConnectionLive(ILogger log, string tunnelId, string connectionId, string replicaId, string node);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Tunnel {TunnelId}: connection {ConnectionId} removed ({Reason})")]
    public static partial void ConnectionRemoved(ILogger log, string tunnelId, string connectionId, string reason);
}
