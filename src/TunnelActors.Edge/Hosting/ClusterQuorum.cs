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
    private volatile string? _refusal = "this edge has not joined the cluster yet: use another edge";

    /// <summary>Why this edge refuses new streams now, or null while it serves: what a client or connector is told (the counts are in the log).</summary>
    public string? Refusal => _refusal;

    internal void Set(string? refusal) => _refusal = refusal;

    /// <summary>
    /// Why this member (its status <paramref name="self"/>, null before it joined) must refuse new streams, given the
    /// members and whether it reaches each itself; null if it may serve.
    /// </summary>
    public static QuorumRefusal? Decide(IReadOnlyCollection<(Address Address, MemberStatus Status, bool Reachable)> members, MemberStatus? self)
    {
        if (self != MemberStatus.Up)
            return new("this edge is not an Up cluster member yet: use another edge", $"this edge is not an Up cluster member ({self?.ToString() ?? "not joined"})");
        // As the resolver counts: members that joined (Joining and WeaklyUp ones decide nothing yet).
        var counted = members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting).ToList();
        var reachable = counted.Count(m => m.Reachable);
        if (reachable * 2 > counted.Count) return null;
        var lowest = counted.OrderBy(m => m.Address, Member.AddressOrdering).FirstOrDefault();
        if (reachable * 2 == counted.Count && lowest.Reachable) return null;
        return new("this edge is on the minority side of a partition: use another edge",
            $"this edge is on the minority side of a partition: it reaches {reachable} of {counted.Count} edges");
    }
}

/// <summary>Why an edge refuses: <paramref name="Public"/> for clients and connectors, <paramref name="Detail"/> (with the counts) for its log.</summary>
public sealed record QuorumRefusal(string Public, string Detail);

/// <summary>
/// Keeps <see cref="ClusterQuorum"/> true to the cluster as this node sees it: the members from its
/// gossip (a snapshot, then every member event), and whether it reaches each one from its own
/// failure detector — not from the gossiped reachability, which marks both ends of a single broken
/// link between two other edges unreachable for everyone. On losing the majority it sends GOAWAY
/// to every client carrier and connector connection here, so clients and connectors move to the
/// majority at once (their streams in flight carry on); back on the majority side, it takes new
/// ones again.
/// </summary>
public sealed class QuorumWatch : ReceiveActor, IWithTimers
{
    private sealed record Check;

    private readonly Dictionary<UniqueAddress, Member> _members = new();

    public QuorumWatch(ClusterQuorum quorum, IReadOnlyList<IActorRef> goAwayOnMinority)
    {
        var cluster = Cluster.Get(Context.System);
        var self = cluster.SelfUniqueAddress;
        var log = Context.Logger<QuorumWatch>();
        var wasServing = false;
        string? detail = "not joined";
        void Evaluate()
        {
            // Its own detector: one it does not monitor (large clusters) counts as reachable.
            var seats = _members.Values.Select(m => (m.Address, m.Status, m.UniqueAddress == self || cluster.FailureDetector.IsAvailable(m.Address))).ToList();
            var refusal = ClusterQuorum.Decide(seats, _members.GetValueOrDefault(self)?.Status);
            if (refusal?.Detail == detail) return;
            detail = refusal?.Detail;
            quorum.Set(refusal?.Public);
            if (refusal is null) ClusterLog.QuorumServing(log, _members.Count);
            else ClusterLog.QuorumRefusing(log, refusal.Detail);
            if (refusal is not null && wasServing)
                foreach (var target in goAwayOnMinority) target.Tell(new MinoritySide(refusal.Public));
            wasServing = refusal is null;
        }
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var m in state.Members) _members[m.UniqueAddress] = m;
            Evaluate();
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _members.Remove(e.Member.UniqueAddress);
            Evaluate();
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            _members[e.Member.UniqueAddress] = e.Member; // its new status
            Evaluate();
        });
        // Its detector's verdicts change with no event of their own: reachability events and a periodic look.
        Receive<ClusterEvent.IReachabilityEvent>(_ => Evaluate());
        Receive<Check>(_ => Evaluate());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("check", new Check(), TimeSpan.FromMilliseconds(250));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}

/// <summary>This edge lost the cluster's majority: connections and carriers here get GOAWAY naming <paramref name="Reason"/>.</summary>
public sealed record MinoritySide(string Reason);
