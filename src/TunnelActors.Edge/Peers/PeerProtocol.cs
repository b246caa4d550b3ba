using System.Net.WebSockets;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// Open a stream through the edge at <paramref name="PeerUrl"/>; answers StreamOpened or StreamRefused.
/// <paramref name="Request"/> is what the client proved here: the peer decides again with it (<see cref="PeerClaim"/>).
/// </summary>
public sealed record OpenPeerStream(string PeerUrl, OpenPayload Open, TunnelActors.Access.Policies.AccessRequest? Request, TunnelActors.Transport.Mux.StreamHandoff Handoff);

/// <summary>Another edge's peer link WebSocket was accepted; <paramref name="Done"/> completes when it ends.</summary>
public sealed record AcceptPeerLink(WebSocket WebSocket, string RemoteAddress, TaskCompletionSource Done);
