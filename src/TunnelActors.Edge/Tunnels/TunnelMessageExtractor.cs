using Akka.Cluster.Sharding;

namespace TunnelActors.Edge.Tunnels;

/// <summary>Shards tunnels by id over a fixed number of shards (a few per node is plenty).</summary>
public sealed class TunnelMessageExtractor() : HashCodeMessageExtractor(MaxShards)
{
    public const int MaxShards = 100;

    public override string? EntityId(object message) => (message as ITunnelMessage)?.TunnelId;
}
