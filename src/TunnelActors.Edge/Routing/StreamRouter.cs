using Akka.Actor;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Peers;
using TunnelActors.Edge.Streams;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Routing;

/// <summary>A new stream could not be placed on any connection of its tunnel; the message says why.</summary>
public sealed class StreamRouteException(string message) : Exception(message);

/// <summary>A stream placed on connection <paramref name="ConnectionId"/> of edge node <paramref name="EdgeNode"/>.</summary>
public sealed record RoutedStream(MuxStream Stream, string ConnectionId, string EdgeNode);

/// <summary>
/// Places a new stream on a live connection of its tunnel: a connection on this node first, picked and
/// opened from the caller's thread (no message round trip, no cluster hop), else the one the tunnel's
/// sharded entity picks anywhere in the cluster, reached through the edge-to-edge link. A connection that
/// refuses (it died or began to drain between heartbeats) gets one retry on another connection; one that does not
/// answer in time does not (its stream may still arrive: the requester's <see cref="StreamHandoff"/> then resets it).
/// </summary>
public sealed class StreamRouter(LocalConnections localConnections, IActorRef tunnels, IActorRef peers, string nodeName, ILogger? log = null)
{
    // The entity may live on a node that just died: give up early, its connections are gone too.
    private static readonly TimeSpan DirectoryTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(5);
    private readonly ILogger _log = log ?? NullLogger.Instance;

    /// <param name="tunnelId">The tunnel serving the hostname (its route's key).</param>
    /// <param name="localOnly">Only this node's connections (streams arriving from a peer edge).</param>
    /// <param name="request">What the client proved: a peer edge that carries the stream decides again with it.</param>
    /// <param name="handoff">The requester's: a stream that arrives after it gave up is reset.</param>
    public async Task<RoutedStream> OpenAsync(OpenPayload open, string tunnelId, bool localOnly, StreamHandoff handoff,
        CancellationToken cancellationToken, TunnelActors.Access.Policies.AccessRequest? request = null)
    {
        var hostname = open.Hostname;
        string? refused = null;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested(); // the requester is gone: nothing is opened for it
            ConnectionPicked connection;
            object opened;
            // After a refusal (a connection draining or dying between heartbeats), any other: here, else wherever the directory sees one.
            if (localConnections.Pick(tunnelId, nodeName, except: refused) is var (here, opener))
            {
                connection = here;
                opened = await Within(opener.OpenAsync(new OpenStream(open, handoff)), OpenTimeout, $"connection {connection.ConnectionId}", cancellationToken);
            }
            else
            {
                var picked = localOnly
                    ? new NoConnection(tunnelId, $"no connection of {tunnelId} on this edge")
                    : await AskOr(tunnels, new PickConnection(tunnelId, nodeName), DirectoryTimeout, "the tunnel directory", cancellationToken);
                if (picked is not ConnectionPicked there)
                    throw new StreamRouteException((picked as NoConnection)?.Reason ?? $"unexpected answer {picked}");
                connection = there;
                var local = connection.EdgeNode == nodeName; // registered here a moment ago, or about to leave
                opened = await AskOr(local ? connection.Connection : peers,
                    local ? new OpenStream(open, handoff) : new OpenPeerStream(connection.PeerUrl, open, request, handoff), OpenTimeout, $"connection {connection.ConnectionId}", cancellationToken);
            }
            if (opened is StreamOpened ok) return new RoutedStream(ok.Stream, connection.ConnectionId, connection.EdgeNode);
            if (opened is NoConnection timedOut) throw new StreamRouteException(timedOut.Reason);

            var why = (opened as StreamRefused)?.Reason ?? opened.ToString();
            refused = connection.ConnectionId;
            _log.LogWarning("Connection {ConnectionId} on {Node} refused a stream for {Hostname}: {Reason}", connection.ConnectionId, connection.EdgeNode, hostname, why);
            if (attempt == 2) throw new StreamRouteException($"the tunnel refused the stream: {why}");
        }
    }

    private static async Task<object> AskOr(IActorRef target, object message, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try { return await target.Ask<object>(message, timeout, cancellationToken); }
        catch (AskTimeoutException) { return DidNotAnswer(what, timeout); }
    }

    private static async Task<object> Within(Task<object> answer, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try { return await answer.WaitAsync(timeout, cancellationToken); }
        catch (TimeoutException) { return DidNotAnswer(what, timeout); }
    }

    private static NoConnection DidNotAnswer(string what, TimeSpan timeout) => new("", $"{what} did not answer within {timeout.TotalSeconds:0} s");
}
