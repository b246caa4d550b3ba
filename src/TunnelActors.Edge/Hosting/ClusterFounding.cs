using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Edge.State;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// Who may found the cluster. Akka lets the first seed node join itself when no other seed
/// answers; but an edge restarted on the minority side of a partition (the resolver downed it,
/// it exited, its service manager started it again) would then found an island beside the
/// majority it cannot reach — two clusters that never merge, each with its own copy of every
/// tunnel. So every edge that serves notes it in the shared database (<see cref="Beat"/>, every
/// few seconds), and the first seed founds only when no other edge did lately. Otherwise it
/// joins through the other seeds only, and gives up after <see cref="JoinDeadline"/> with the
/// downed exit status, so that its restart decides again (the others may have died meanwhile).
/// </summary>
public sealed class ClusterFounding
{
    /// <summary>An edge that noted itself this recently counts as a live cluster (clocks of the edges may differ by a few seconds).</summary>
    public static readonly TimeSpan Fresh = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan BeatInterval = TimeSpan.FromSeconds(3);

    /// <summary>How long an edge that may not found tries to join before it exits to decide again.</summary>
    public static readonly TimeSpan JoinDeadline = TimeSpan.FromSeconds(60);

    private readonly Database _db;

    public ClusterFounding(Database db)
    {
        _db = db;
        _db.EnsureSchema("CREATE TABLE IF NOT EXISTS edge_beacons (address TEXT PRIMARY KEY, seen_at TEXT NOT NULL)");
    }

    /// <summary>The edge at <paramref name="address"/> serves on the majority side now.</summary>
    public void Beat(string address) =>
        _db.Execute("INSERT INTO edge_beacons VALUES (@address, @now) ON CONFLICT (address) DO UPDATE SET seen_at = excluded.seen_at",
            ("@address", address), ("@now", DbTime.Text(DateTimeOffset.UtcNow)));

    /// <summary>
    /// The edge at <paramref name="address"/> stops: its note goes, so that when every edge restarts at once (an
    /// upgrade) the first seed founds the cluster again at once instead of waiting for the note to go stale.
    /// </summary>
    public void Forget(string address) => _db.Execute("DELETE FROM edge_beacons WHERE address = @address", ("@address", address));

    /// <summary>When the edge at <paramref name="address"/> last noted itself serving, if ever.</summary>
    internal DateTimeOffset? SeenAt(string address) =>
        _db.Query("SELECT seen_at FROM edge_beacons WHERE address = @address", r => DbTime.Read(r, 0), ("@address", address)).FirstOrDefault();

    /// <summary>
    /// The seed nodes this edge joins through: all of them, or — when it is the first seed and
    /// another edge served lately — all but itself (it then never joins itself). Null when it may found.
    /// </summary>
    public IReadOnlyList<string>? WithholdFounding(IReadOnlyList<string> seeds, string clusterHost, int clusterPort, ILogger log)
    {
        if (seeds.Count < 2) return null;
        var self = $"{clusterHost}:{clusterPort}";
        if (HostPort(seeds[0]) != self) return null; // only the first seed ever joins itself
        var others = _db.Query("SELECT address FROM edge_beacons WHERE seen_at > @since AND address <> @self", r => r.GetString(0),
            ("@since", DbTime.Text(DateTimeOffset.UtcNow - Fresh)), ("@self", self));
        if (others.Count == 0) return null;
        ClusterLog.FoundingWithheld(log, string.Join(", ", others), JoinDeadline.TotalSeconds);
        return seeds.Skip(1).ToList();
    }

    public static string HostPort(string seed) => Address.Parse(ClusterLinks.SeedAddress(seed)) is var a ? $"{a.Host}:{a.Port}" : seed;
}

/// <summary>
/// Notes this edge in <see cref="ClusterFounding"/>'s table while it serves (<see cref="ClusterQuorum"/>); on
/// <see cref="ForgetBeacon"/> (the edge stops) it writes no more and removes the note once any write under way is done.
/// </summary>
public sealed class FoundingBeacon : ReceiveActor, IWithTimers
{
    private sealed record Beat;
    private sealed record Written;

    private readonly TimeSpan _interval;

    /// <param name="interval">How often it notes the edge; <see cref="ClusterFounding.BeatInterval"/> unless a test wants it sooner.</param>
    public FoundingBeacon(ClusterFounding founding, ClusterQuorum quorum, string address, TimeSpan? interval = null)
    {
        _interval = interval ?? ClusterFounding.BeatInterval;
        var log = Context.Logger<FoundingBeacon>();
        var writing = false;
        IActorRef? forgetting = null;
        void Forget() => Task.Run(() => founding.Forget(address)).PipeTo(forgetting!, success: () => new BeaconForgotten(), failure: e => new Status.Failure(e));
        Receive<Beat>(_ =>
        {
            if (writing || forgetting is not null || quorum.Refusal is not null) return;
            writing = true;
            Task.Run(() => founding.Beat(address)).PipeTo(Self, success: () => new Written(), failure: e => new Status.Failure(e));
        });
        Receive<Written>(_ =>
        {
            writing = false;
            if (forgetting is not null) Forget();
        });
        Receive<Status.Failure>(f =>
        {
            writing = false;
            ClusterLog.BeaconFailed(log, f.Cause.GetBaseException().Message);
            if (forgetting is not null) Forget();
        });
        Receive<ForgetBeacon>(_ =>
        {
            forgetting = Sender;
            Timers.CancelAll();
            if (!writing) Forget();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("beat", new Beat(), _interval);
}

/// <summary>The edge stops: write no more beacons and remove this edge's; answered with <see cref="BeaconForgotten"/>.</summary>
public sealed record ForgetBeacon;
public sealed record BeaconForgotten;
