using Akka.Actor;

namespace TunnelActors.Edge.Tunnels;

/// <summary>Every message to a <see cref="TunnelEntity"/> names its tunnel: the sharding key.</summary>
public interface ITunnelMessage : IClusterMessage
{
    string TunnelId { get; }
}

/// <summary>
/// A registered connection announces itself; sent again every heartbeat (soft state).
/// <paramref name="PeerUrl"/> is where other edges open streams on it (its node's peer endpoint);
/// a <paramref name="Draining"/> connection (its edge is shutting down, or it has gone silent) is picked only when no other is live.
/// </summary>
public sealed record ConnectionHeartbeat(
    string TunnelId, string ConnectionId, IActorRef Connection, string EdgeNode, string PeerUrl, string ConnectorId, string ReplicaId, int OpenStreams,
    bool Draining = false)
    : ITunnelMessage;

/// <summary>A connection ended: forget it now rather than at the next sweep.</summary>
public sealed record ConnectionClosed(string TunnelId, string ConnectionId) : ITunnelMessage;

/// <summary>Which connection should carry a new stream? Prefers connections on <paramref name="RequesterNode"/>.</summary>
public sealed record PickConnection(string TunnelId, string RequesterNode) : ITunnelMessage;

/// <summary>The chosen connection; on another node, streams reach it through <paramref name="PeerUrl"/>.</summary>
public sealed record ConnectionPicked(string ConnectionId, IActorRef Connection, string EdgeNode, string PeerUrl) : IClusterMessage;

public sealed record NoConnection(string TunnelId, string Reason) : IClusterMessage;

/// <summary>What an operator asks a tunnel entity: its live connections.</summary>
public sealed record GetTunnelState(string TunnelId) : ITunnelMessage;

public sealed record TunnelConnection(string ConnectionId, IActorRef Connection, string EdgeNode, string ConnectorId, string ReplicaId, int OpenStreams, DateTime LastSeen) : IClusterMessage;

public sealed record TunnelState(string TunnelId, IReadOnlyList<TunnelConnection> Connections) : IClusterMessage;
