using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// Whether this edge may take new client streams and connector registrations: only as an Up
/// member on the majority side of the cluster, decided as the split-brain resolver
/// (keep-majority) will decide — more than half of the members reachable, or exactly half
/// including the lowest address. An edge on the minority side serves from a view of the
/// cluster that the majority is about to overrule, so it refuses (clients fail over to
/// another edge) instead. Written by <see cref="QuorumWatch"/>, read on every request.
/// </summary>
public sealed class ClusterQuorum
{
    private volatile string? _refusal = "this edge has not joined the cluster yet";

    /// <summary>Why this edge refuses new streams now, or null while it serves.</summary>
    public string? Refusal => _refusal;

    internal void Set(string? refusal) => _refusal = refusal;

    /// <summary>Why this member (its status <paramref name="self"/>, null before it joined) must refuse new streams, given the members as it sees them; null if it may serve.</summary>
    public static string? Decide(IReadOnlyCollection<(Address Address, MemberStatus Status, bool Reachable)> members, MemberStatus? self)
    {
        if (self != MemberStatus.Up)
            return $"this edge is not an Up cluster member ({self?.ToString() ?? "not joined"})";
        // As the resolver counts: members that joined (Joining and WeaklyUp ones decide nothing yet).
        var counted = members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting).ToList();
        var reachable = counted.Count(m => m.Reachable);
        if (reachable * 2 > counted.Count) return null;
        var lowest = counted.OrderBy(m => m.Address, Member.AddressOrdering).FirstOrDefault();
        if (reachable * 2 == counted.Count && lowest.Reachable) return null;
        return $"this edge is on the minority side of a partition: it reaches {reachable} of {counted.Count} edges; use another edge";
    }
}

/// <summary>
/// Keeps <see cref="ClusterQuorum"/> true to the cluster as this node's gossip tells it (a
/// snapshot, then every member and reachability event). On losing the majority it sends GOAWAY
/// to every client carrier and connector connection here, so clients and connectors move to the
/// majority at once (their streams in flight carry on); back on the majority side, it takes new
/// ones again.
/// </summary>
public sealed class QuorumWatch : ReceiveActor
{
    private readonly Dictionary<UniqueAddress, Member> _members = new();
    private readonly Dictionary<UniqueAddress, Member> _unreachable = new();

    public QuorumWatch(ClusterQuorum quorum, IReadOnlyList<IActorRef> goAwayOnMinority)
    {
        var self = Cluster.Get(Context.System).SelfUniqueAddress;
        var log = Context.Logger<QuorumWatch>();
        var wasServing = false;
        void Evaluate()
        {
            var seats = _members.Values.Select(m => (m.Address, m.Status, !_unreachable.ContainsKey(m.UniqueAddress))).ToList();
            var refusal = ClusterQuorum.Decide(seats, _members.GetValueOrDefault(self)?.Status);
            if (refusal == quorum.Refusal) return;
            quorum.Set(refusal);
            if (refusal is null) ClusterLog.QuorumServing(log, _members.Count);
            else ClusterLog.QuorumRefusing(log, refusal);
            if (refusal is not null && wasServing)
                foreach (var target in goAwayOnMinority) target.Tell(new MinoritySide(refusal));
            wasServing = refusal is null;
        }
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var m in state.Members) _members[m.UniqueAddress] = m;
            foreach (var m in state.Unreachable) _unreachable[m.UniqueAddress] = m;
            Evaluate();
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _members.Remove(e.Member.UniqueAddress);
            _unreachable.Remove(e.Member.UniqueAddress);
            Evaluate();
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            _members[e.Member.UniqueAddress] = e.Member; // its new status
            Evaluate();
        });
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            _unreachable[e.Member.UniqueAddress] = e.Member;
            Evaluate();
        });
        Receive<ClusterEvent.ReachableMember>(e =>
        {
            _unreachable.Remove(e.Member.UniqueAddress);
            Evaluate();
        });
    }

    protected override void PreStart() => Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
        typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}

/// <summary>This edge lost the cluster's majority: connections and carriers here get GOAWAY naming <paramref name="Reason"/>.</summary>
public sealed record MinoritySide(string Reason);
