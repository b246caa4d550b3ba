using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.State;
using Xunit;

namespace TunnelActors.Edge.Tests;

/// <summary>The first seed founds a cluster only when no other edge served lately: never an island beside a live majority.</summary>
public sealed class ClusterFoundingTests : TestKit
{
    private static readonly string[] Seeds = ["akka.tcp://tunnelactors@10.0.0.1:2551", "akka.tcp://tunnelactors@10.0.0.2:2551", "akka.tcp://tunnelactors@10.0.0.3:2551"];
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30); // a busy test host may run the beacon's task late
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly string _dir = Directory.CreateTempSubdirectory("founding-").FullName;
    private readonly ClusterFounding _founding;

    public ClusterFoundingTests() => _founding = new ClusterFounding(new SqliteDatabase(Path.Combine(_dir, "edge.db")));

    protected override void AfterAll()
    {
        base.AfterAll();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void TheBeacon_NotesAServingEdgeAgainAndAgain_AndNotOneThatRefuses()
    {
        var quorum = new ClusterQuorum();
        quorum.Set(null); // serving
        Sys.ActorOf(Props.Create(() => new FoundingBeacon(_founding, quorum, "10.0.0.2:2551", Interval)));

        AwaitCondition(() => _founding.SeenAt("10.0.0.2:2551") is not null, Patience, Poll);
        var first = _founding.SeenAt("10.0.0.2:2551");
        AwaitCondition(() => _founding.SeenAt("10.0.0.2:2551") > first, Patience, Poll); // the next beat is written too

        quorum.Set("this edge is on the minority side of a partition");
        // The beacon has at most one write in flight: that one may land however late, none after it.
        var seen = new HashSet<DateTimeOffset?> { _founding.SeenAt("10.0.0.2:2551") };
        for (var watching = System.Diagnostics.Stopwatch.StartNew(); watching.Elapsed < Interval * 15; Thread.Sleep(Poll))
            seen.Add(_founding.SeenAt("10.0.0.2:2551"));
        Assert.True(seen.Count <= 2, $"{seen.Count - 1} beats were written after the edge began to refuse");
    }

    [Fact]
    public void NobodyServedLately_TheFirstSeedFounds() =>
        Assert.Null(_founding.WithholdFounding(Seeds, "10.0.0.1", 2551, NullLogger.Instance));

    [Fact]
    public void AnotherEdgeServes_TheFirstSeedJoinsThroughTheOthersOnly()
    {
        _founding.Beat("10.0.0.2:2551");

        Assert.Equal(Seeds[1..], _founding.WithholdFounding(Seeds, "10.0.0.1", 2551, NullLogger.Instance));
    }

    [Fact]
    public void ItsOwnEarlierBeacon_DoesNotStopIt()
    {
        _founding.Beat("10.0.0.1:2551"); // the incarnation before its restart

        Assert.Null(_founding.WithholdFounding(Seeds, "10.0.0.1", 2551, NullLogger.Instance));
    }

    [Fact]
    public void TheBeaconOfAStoppingEdge_RemovesItsNote_AndWritesNoMore()
    {
        var quorum = new ClusterQuorum();
        quorum.Set(null);
        var beacon = Sys.ActorOf(Props.Create(() => new FoundingBeacon(_founding, quorum, "10.0.0.2:2551", Interval)));
        AwaitCondition(() => _founding.SeenAt("10.0.0.2:2551") is not null, Patience, Poll);

        beacon.Tell(new ForgetBeacon(), TestActor);

        ExpectMsg<BeaconForgotten>(Patience);
        Assert.Null(_founding.SeenAt("10.0.0.2:2551"));
        Thread.Sleep(Interval * 5);
        Assert.Null(_founding.SeenAt("10.0.0.2:2551")); // no beat after it
    }

    [Fact]
    public void AnEdgeThatStopped_ForgetsItsNote_AndTheFirstSeedFoundsAtOnce()
    {
        _founding.Beat("10.0.0.2:2551");
        _founding.Forget("10.0.0.2:2551"); // every edge restarted at once

        Assert.Null(_founding.WithholdFounding(Seeds, "10.0.0.1", 2551, NullLogger.Instance));
    }

    [Fact]
    public void NotTheFirstSeed_NothingToWithhold()
    {
        _founding.Beat("10.0.0.1:2551");

        Assert.Null(_founding.WithholdFounding(Seeds, "10.0.0.2", 2551, NullLogger.Instance)); // Akka never lets it join itself anyway
    }
}
