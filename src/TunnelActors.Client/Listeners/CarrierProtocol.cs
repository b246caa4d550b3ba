using TunnelActors.Transport.Mux;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// Open a stream for <paramref name="Hostname"/> on the carrier, proved by <paramref name="Headers"/>; answered with
/// <see cref="CarrierStreamOpened"/> or <see cref="CarrierUnavailable"/>. A requester that stops first abandons
/// <paramref name="Handoff"/>, and the stream opened for it is reset instead of left open.
/// </summary>
public sealed record OpenCarrierStream(string Hostname, IReadOnlyList<KeyValuePair<string, string>> Headers, StreamHandoff Handoff);

/// <summary>The stream is open, as <paramref name="StreamId"/> (the edge's id for it too): bytes may flow at once (the edge decides it meanwhile, and resets it with the reason if it refuses).</summary>
public sealed record CarrierStreamOpened(MuxStream Stream, string StreamId);

/// <summary>No stream now: <paramref name="UseWebSocket"/> when the connection should take its own WebSocket instead (an older edge, a full carrier).</summary>
public sealed record CarrierUnavailable(string Reason, bool UseWebSocket);
