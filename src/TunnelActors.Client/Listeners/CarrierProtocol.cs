using TunnelActors.Transport.Mux;

namespace TunnelActors.Client.Listeners;

/// <summary>Open a stream for <paramref name="Hostname"/> on the carrier, proved by <paramref name="Headers"/>; answered with <see cref="CarrierStreamOpened"/> or <see cref="CarrierUnavailable"/>.</summary>
public sealed record OpenCarrierStream(string Hostname, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>The stream is open on carrier <paramref name="Carrier"/>: bytes may flow at once (the edge decides it meanwhile, and resets it with the reason if it refuses).</summary>
public sealed record CarrierStreamOpened(MuxStream Stream, string Carrier);

/// <summary>No stream now: <paramref name="UseWebSocket"/> when the connection should take its own WebSocket instead (an older edge, a full carrier).</summary>
public sealed record CarrierUnavailable(string Reason, bool UseWebSocket);
