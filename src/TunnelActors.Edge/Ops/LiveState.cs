using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Streams;
using TunnelActors.Edge.Tunnels;

namespace TunnelActors.Edge.Ops;

/// <summary>
/// Answers operators from the live actors, cluster-wide whichever edge is asked: every
/// member's shard region names the tunnels it hosts, each tunnel entity its connections, each
/// connection actor its streams. Asks time out after a few seconds; a member or connection
/// that does not answer is listed as unresponsive, not dropped.
/// </summary>
public sealed class LiveState(ActorSystem system, IActorRef tunnels)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private IEnumerable<Address> UpMembers() =>
        Cluster.Get(system).State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address);

    private ActorSelection StreamsOf(Address member) => system.ActorSelection($"{member}/user/{EdgeStreams.Name}");

    /// <summary>Every stream on every edge, from the stream actors; a member that does not answer is listed in <c>unanswered</c>.</summary>
    public async Task<object> StreamsAsync(CancellationToken cancellationToken)
    {
        var lists = await Task.WhenAll(UpMembers().Select(async member =>
        {
            try { return (member, (StreamList?)await StreamsOf(member).Ask<StreamList>(new ListStreams(), Timeout, cancellationToken)); }
            catch (AskTimeoutException) { return (member, null); }
        }));
        return new
        {
            streams = lists.SelectMany(l => l.Item2?.Streams ?? []).OrderBy(s => s.Node).ThenByDescending(s => s.AgeSeconds),
            unanswered = lists.Where(l => l.Item2 is null).Select(l => l.member.ToString()),
        };
    }

    /// <summary>Ends one stream, on whichever edge it runs; the node it ran on, or null if no edge has it.</summary>
    public async Task<string?> CloseStreamAsync(string streamId, string reason, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(UpMembers().Select(async member =>
        {
            try { return await StreamsOf(member).Ask<object>(new CloseStream(streamId, reason), Timeout, cancellationToken); }
            catch (AskTimeoutException) { return null; }
        }));
        return answers.OfType<StreamClosing>().FirstOrDefault()?.Node;
    }

    /// <summary>Every tunnel entity in the cluster and the edge node hosting it (shard placement).</summary>
    public async Task<IReadOnlyList<(string TunnelId, string HostedOn)>> PlacementAsync(CancellationToken cancellationToken)
    {
        var regions = await Task.WhenAll(UpMembers().Select(async address =>
        {
            try
            {
                var region = await system.ActorSelection($"{address}/system/sharding/tunnel")
                    .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, Timeout, cancellationToken);
                return region.Shards.SelectMany(s => s.EntityIds).Select(id => (id, address.ToString()));
            }
            catch (AskTimeoutException) { return []; }
        }));
        return regions.SelectMany(r => r).OrderBy(p => p.Item1).ToList();
    }

    /// <summary>The cluster as this edge sees it: members, the leader, and where each tunnel entity lives.</summary>
    public async Task<object> ClusterAsync(CancellationToken cancellationToken)
    {
        var state = Cluster.Get(system).State;
        var self = Cluster.Get(system).SelfAddress;
        var placement = await PlacementAsync(cancellationToken);
        return new
        {
            self = self.ToString(),
            leader = state.Leader?.ToString(),
            members = state.Members.OrderBy(m => m.Address.ToString()).Select(m => new
            {
                address = m.Address.ToString(),
                status = m.Status.ToString(),
                roles = m.Roles,
                reachable = !state.Unreachable.Contains(m),
                tunnels = placement.Where(p => p.HostedOn == m.Address.ToString()).Select(p => p.TunnelId),
            }),
        };
    }

    public async Task<IReadOnlyList<object>> TunnelsAsync(CancellationToken cancellationToken)
    {
        var result = new List<object>();
        foreach (var (id, hostedOn) in await PlacementAsync(cancellationToken))
        {
            var (healthy, connections) = await TunnelAsync(id, cancellationToken);
            result.Add(new { tunnel = id, healthy, entity_node = hostedOn, connections });
        }
        return result;
    }

    /// <summary>One tunnel's live connections (with their streams), asked of its entity wherever it lives.</summary>
    public async Task<(bool Healthy, object[] Connections)> TunnelAsync(string tunnelId, CancellationToken cancellationToken)
    {
        var state = await StateAsync(tunnelId, cancellationToken);
        var connections = await Task.WhenAll(state.Connections.Select(c => DescribeAsync(c, cancellationToken)));
        return (state.Connections.Count > 0, connections);
    }

    /// <summary>Drains (or resumes) every connection of one connector replica; returns how many.</summary>
    public async Task<int> DrainReplicaAsync(string tunnelId, string replicaId, bool drained, CancellationToken cancellationToken)
    {
        var state = await StateAsync(tunnelId, cancellationToken);
        var connections = state.Connections.Where(c => c.ReplicaId == replicaId).ToList();
        await Task.WhenAll(connections.Select(c => c.Connection.Ask<Status.Success>(new SetOperatorDrain(drained), Timeout, cancellationToken)));
        return connections.Count;
    }

    /// <summary>Closes every live connection of a tunnel (it is being deleted); returns how many.</summary>
    public async Task<int> CloseAllAsync(string tunnelId, string reason, CancellationToken cancellationToken)
    {
        var state = await StateAsync(tunnelId, cancellationToken);
        foreach (var connection in state.Connections) connection.Connection.Tell(new CloseConnection(reason));
        return state.Connections.Count;
    }

    private Task<TunnelState> StateAsync(string tunnelId, CancellationToken cancellationToken) =>
        tunnels.Ask<TunnelState>(new GetTunnelState(tunnelId), Timeout, cancellationToken);

    /// <summary>Closes the connection with this id; false if no tunnel knows it.</summary>
    public async Task<bool> CloseAsync(string connectionId, string reason, CancellationToken cancellationToken)
    {
        foreach (var (id, _) in await PlacementAsync(cancellationToken))
        {
            var state = await StateAsync(id, cancellationToken);
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
                ping_rtt_ms = state.PingRttMs, draining = state.Draining, streams = state.Streams,
            };
        }
        catch (AskTimeoutException)
        {
            return new { id = connection.ConnectionId, edge_node = connection.EdgeNode, replica = connection.ReplicaId, unresponsive = true };
        }
    }
}
