using System.Net.WebSockets;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Connections;

/// <summary>
/// A connector's WebSocket was accepted; <paramref name="Done"/> completes when the connection ends.
/// <paramref name="Slot"/> is its pending-registration slot, given back once it registers or ends.
/// </summary>
public sealed record AcceptOriginConnection(WebSocket WebSocket, string Challenge, string RemoteAddress, TaskCompletionSource Done,
    RegistrationSlots.Slot Slot);

/// <summary>
/// Open a stream on this connection (node-local: the reply carries the live stream object).
/// The stream goes through <paramref name="Handoff"/>: if the requester gave up meanwhile, it is reset.
/// </summary>
public sealed record OpenStream(OpenPayload Open, TunnelActors.Transport.Mux.StreamHandoff Handoff);

public sealed record StreamOpened(MuxStream Stream);

public sealed record StreamRefused(string Reason) : IClusterMessage;

/// <summary>An operator asks a connection for its live state.</summary>
public sealed record GetConnectionState : IClusterMessage;

/// <summary>One open stream as operators see it; rates are bytes per second over the last heartbeat interval.</summary>
public sealed record StreamInfo(uint StreamId, string Identity, string Hostname, long BytesToOrigin, long BytesToClient,
    double RateToOrigin, double RateToClient, int AgeSeconds) : IClusterMessage;

public sealed record ConnectionState(string ConnectionId, string? Hostname, string? ConnectorId, string? ReplicaId, string RemoteAddress,
    DateTimeOffset ConnectedAt, double? PingRttMs, IReadOnlyList<StreamInfo> Streams, bool Draining = false) : IClusterMessage;

/// <summary>
/// An operator drains (or resumes) a connector replica's connection: while drained it gets new
/// streams only when no other connection of its tunnel is live; open streams carry on.
/// </summary>
public sealed record SetOperatorDrain(bool Drained) : IClusterMessage;

/// <summary>An operator closes a connection (its connector reconnects, possibly elsewhere).</summary>
public sealed record CloseConnection(string Reason) : IClusterMessage;

/// <summary>
/// This edge is shutting down: send GOAWAY (connectors open replacements elsewhere), take no
/// new streams, and close once the open ones have finished.
/// </summary>
public sealed record DrainConnection(string Reason);

/// <summary>The origin certificates revoked so far: a connection registered with one of them closes.</summary>
public sealed record RevokedCertificates(IReadOnlySet<string> Serials);
