using Akka.Actor;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Streams;

/// <summary>
/// Start a stream for an authenticated client: its actor opens the stream on a connection of
/// <paramref name="TunnelId"/> and answers <see cref="ClientStreamReady"/> or
/// <see cref="Connections.StreamRefused"/>. The requester then hands over the WebSocket
/// (<see cref="AttachClient"/>) or gives up (<see cref="AbandonClient"/>); one that does neither is
/// taken as gone after <see cref="EdgeStreamActor.AttachDeadline"/>. <paramref name="RequestedAt"/>
/// (a <see cref="TimeProvider"/> timestamp) is when the upgrade request arrived, for the handshake metric.
/// </summary>
public sealed record OpenClientStream(StreamAccess Access, string TunnelId, long RequestedAt);

public sealed record ClientStreamReady(IActorRef Stream, string StreamId);

/// <summary>The client's accepted WebSocket: the stream actor relays it until the stream ends, then stops.</summary>
public sealed record AttachClient(TunnelActors.Transport.Channels.WebSocketChannel Client);

public sealed record AbandonClient(string Reason);

/// <summary>A peer edge opened <paramref name="FromPeer"/> on its link to this edge, for a connection here.</summary>
public sealed record RelayPeerStream(MuxStream FromPeer, string PeerAddress);

/// <summary>
/// A client opened <paramref name="Stream"/> on its multiplexed carrier (<see cref="Clients.ClientCarrierActor"/>) from
/// <paramref name="Source"/>: its actor decides it on the credential in its OPEN, then opens and relays it.
/// </summary>
public sealed record CarrierStream(MuxStream Stream, System.Net.IPAddress Source, string Carrier);

/// <summary>The phases of a new client stream's opening, as <c>tunnelactors_edge_stream_open_phase_*</c> counts them.</summary>
public static class StreamPhases
{
    public const string Authenticate = "authenticate";
    public const string RouteLookup = "route lookup";
    public const string Open = "open on a connection";
}

/// <summary>Every stream on an edge node, answered with <see cref="StreamList"/>.</summary>
public sealed record ListStreams : IClusterMessage;

public sealed record StreamList(string Node, IReadOnlyList<StreamSummary> Streams) : IClusterMessage;

/// <summary>
/// One stream as operators see it. <paramref name="Kind"/> is "client" (a client of this edge)
/// or "relayed" (a client of another edge, carried here to the tunnel's connection); rates are
/// bytes per second over the last sample interval. <paramref name="Flow"/> says what each multiplexed side
/// waits on (credit, a reader): the first thing to read about a transfer that stalled.
/// </summary>
public sealed record StreamSummary(string StreamId, string Node, string Kind, string State, string Hostname, string? TunnelId, string? ConnectionId,
    string Identity, string? Application, string Credential, string Source, long BytesToOrigin, long BytesToClient,
    double RateToOrigin, double RateToClient, int AgeSeconds, string? Flow = null) : IClusterMessage;

/// <summary>An operator ends one stream; answered with <see cref="StreamClosing"/> or <see cref="NoSuchStream"/>.</summary>
public sealed record CloseStream(string StreamId, string Reason) : IClusterMessage;

public sealed record StreamClosing(string StreamId, string Node) : IClusterMessage;

public sealed record NoSuchStream(string StreamId) : IClusterMessage;

/// <summary>Sent by a stream actor to itself each sample interval, and by its parent to ask for a summary.</summary>
internal sealed record GetStreamSummary;
