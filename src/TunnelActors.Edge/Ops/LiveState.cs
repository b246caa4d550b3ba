using Akka.Actor;
using Akka.Cluster.Sharding;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Tunnels;

namespace TunnelActors.Edge.Ops;

/// <summary>
/// Answers operators from the live actors: the shard region names the tunnels, each tunnel
/// entity its connections, each connection actor its streams. Asks time out after a few
/// seconds; a connection that does not answer is listed as unresponsive, not dropped.
/// </summary>
public sealed class LiveState(IActorRef tunnels)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyList<object>> TunnelsAsync(CancellationToken cancellationToken)
    {
        // This node's region; cluster-wide listing comes with the edge cluster (issue 4).
        var region = await tunnels.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, Timeout, cancellationToken);
        var tunnelIds = region.Shards.SelectMany(s => s.EntityIds).Order().ToList();
        var result = new List<object>();
        foreach (var id in tunnelIds)
        {
            var state = await tunnels.Ask<TunnelState>(new GetTunnelState(id), Timeout, cancellationToken);
            var connections = await Task.WhenAll(state.Connections.Select(c => DescribeAsync(c, cancellationToken)));
            result.Add(new { tunnel = id, healthy = state.Connections.Count > 0, connections });
        }
        return result;
    }

    /// <summary>Closes the connection with this id; false if no tunnel knows it.</summary>
    public async Task<bool> CloseAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        var region = await tunnels.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, Timeout, cancellationToken);
        foreach (var id in region.Shards.SelectMany(s => s.EntityIds))
        {
            var state = await tunnels.Ask<TunnelState>(new GetTunnelState(id), Timeout, cancellationToken);
            if (state.Connections.FirstOrDefault(c => c.ConnectionId == connectionId) is { } connection)
            {
                connection.Connection.Tell(new CloseConnection(reason));
                return true;
            }
        }
        return false;
    }

    private static async Task<object> DescribeAsync(TunnelConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var state = await connection.Connection.Ask<ConnectionState>(new GetConnectionState(), Timeout, cancellationToken);
            return new
            {
                id = connection.ConnectionId, edge_node = connection.EdgeNode, connector = connection.ConnectorId, replica = connection.ReplicaId,
                remote = state.RemoteAddress, connected_at = state.ConnectedAt, age_seconds = (int)(DateTimeOffset.UtcNow - state.ConnectedAt).TotalSeconds,
                ping_rtt_ms = state.PingRttMs, streams = state.Streams,
            };
        }
        catch (AskTimeoutException)
        {
            return new { id = connection.ConnectionId, edge_node = connection.EdgeNode, replica = connection.ReplicaId, unresponsive = true };
        }
    }
}
