using Akka.Actor;
using Akka.TestKit.Xunit2;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Edge.Tests;

// Every default wait (ExpectMsg, ExpectTerminated, AwaitAssert: 3 s) three times as long: a busy CI machine, not a slow entity.
public sealed class TunnelEntityTests() : TestKit("akka.test.timefactor = 3")
{
    private const string Tunnel = "smb.site.test";
    // Long enough that no connection expires while a busy machine runs a test that is not about expiry.
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMinutes(1);
    private readonly TunnelActors.Edge.Ops.EdgeMetrics _metrics = new();

    private IActorRef NewEntity(TimeSpan? heartbeat = null, TimeProvider? clock = null) =>
        Sys.ActorOf(Props.Create(() => new TunnelEntity(Tunnel, heartbeat ?? Heartbeat, _metrics, clock)));

    // A beat the entity has taken (it answers in order): the test's clock moves only after it.
    private void BeatAndWait(IActorRef entity, ConnectionHeartbeat beat)
    {
        entity.Tell(beat);
        entity.Tell(new GetTunnelState(Tunnel));
        ExpectMsg<TunnelState>();
    }

    private static ConnectionHeartbeat Beat(string id, IActorRef connection, string node = "node-a", int streams = 0) =>
        new(Tunnel, id, connection, node, $"https://{node}:443", "connector", "replica-1", streams);

    [Fact]
    public void EveryRunningEntity_IsCounted_UntilItStops()
    {
        long Running() => MeterReading.Read(_metrics.Meter, "tunnelactors_edge_tunnel_entities").GetValueOrDefault("");
        var first = NewEntity();
        var second = NewEntity();
        AwaitAssert(() => Assert.Equal(2, Running()));

        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        AwaitAssert(() => Assert.Equal(1, Running())); // summed over a cluster's edges, this is one per tunnel
        Sys.Stop(second);
    }

    [Fact]
    public void Pick_WithNoConnections_AnswersNoConnectionWithReason()
    {
        var entity = NewEntity();

        entity.Tell(new PickConnection(Tunnel, "node-a"));

        var answer = ExpectMsg<NoConnection>();
        Assert.Contains("no connector is connected", answer.Reason);
    }

    [Fact]
    public void Pick_TwoConnections_ChoosesLeastLoaded()
    {
        var entity = NewEntity();
        var busy = CreateTestProbe();
        var idle = CreateTestProbe();
        entity.Tell(Beat("busy", busy.Ref, streams: 5));
        entity.Tell(Beat("idle", idle.Ref, streams: 1));

        entity.Tell(new PickConnection(Tunnel, "node-a"));

        Assert.Equal("idle", ExpectMsg<ConnectionPicked>().ConnectionId);
    }

    [Fact]
    public void Pick_ConnectionOnRequesterNode_PreferredOverLessLoadedRemoteOne()
    {
        var entity = NewEntity();
        entity.Tell(Beat("local", CreateTestProbe().Ref, node: "node-a", streams: 10));
        entity.Tell(Beat("remote", CreateTestProbe().Ref, node: "node-b", streams: 0));

        entity.Tell(new PickConnection(Tunnel, "node-a"));

        Assert.Equal("local", ExpectMsg<ConnectionPicked>().ConnectionId);
    }

    [Fact]
    public void Pick_ConnectionOfADrainingEdge_OnlyWhenNoOtherIsLive()
    {
        var entity = NewEntity();
        var draining = CreateTestProbe();
        entity.Tell(Beat("draining", draining.Ref, node: "node-a") with { Draining = true });
        entity.Tell(Beat("live", CreateTestProbe().Ref, node: "node-b", streams: 50));

        entity.Tell(new PickConnection(Tunnel, "node-a"));
        Assert.Equal("live", ExpectMsg<ConnectionPicked>().ConnectionId);

        entity.Tell(new ConnectionClosed(Tunnel, "live"));
        entity.Tell(new PickConnection(Tunnel, "node-a"));
        Assert.Equal("draining", ExpectMsg<ConnectionPicked>().ConnectionId);
    }

    [Fact]
    public void Pick_BurstBetweenHeartbeats_SpreadsOverConnections()
    {
        var entity = NewEntity();
        entity.Tell(Beat("one", CreateTestProbe().Ref));
        entity.Tell(Beat("two", CreateTestProbe().Ref));

        var picks = Enumerable.Range(0, 6).Select(_ =>
        {
            entity.Tell(new PickConnection(Tunnel, "node-a"));
            return ExpectMsg<ConnectionPicked>().ConnectionId;
        }).ToList();

        Assert.Equal(3, picks.Count(p => p == "one"));
        Assert.Equal(3, picks.Count(p => p == "two"));
    }

    [Fact]
    public void Pick_AfterConnectionActorStopped_NoLongerRoutesToIt()
    {
        var entity = NewEntity();
        var dying = CreateTestProbe();
        var alive = CreateTestProbe();
        entity.Tell(Beat("dying", dying.Ref, streams: 0));
        entity.Tell(Beat("alive", alive.Ref, streams: 100));

        Watch(dying.Ref);
        Sys.Stop(dying.Ref);
        ExpectTerminated(dying.Ref);

        AwaitAssert(() =>
        {
            entity.Tell(new PickConnection(Tunnel, "node-a"));
            Assert.Equal("alive", ExpectMsg<ConnectionPicked>().ConnectionId);
        }, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Pick_ConnectionClosed_IsForgottenImmediately()
    {
        var entity = NewEntity();
        entity.Tell(Beat("gone", CreateTestProbe().Ref));

        entity.Tell(new ConnectionClosed(Tunnel, "gone"));
        entity.Tell(new PickConnection(Tunnel, "node-a"));

        ExpectMsg<NoConnection>();
    }

    [Fact]
    public void Pick_ConnectionWithoutHeartbeats_IsStillPickedBeforeThreeIntervals_AndExpiresAfter()
    {
        // The entity's sweeps run on its own timer; what they compare with is the test's clock.
        var (heartbeat, clock) = (TimeSpan.FromMilliseconds(200), new ManualClock());
        var entity = NewEntity(heartbeat, clock);
        BeatAndWait(entity, Beat("silent", CreateTestProbe().Ref));

        clock.Advance(heartbeat * 2.9);
        Thread.Sleep(heartbeat * 5); // sweeps ran and left it: late, not gone
        entity.Tell(new PickConnection(Tunnel, "node-a"));
        Assert.Equal("silent", ExpectMsg<ConnectionPicked>().ConnectionId);

        clock.Advance(heartbeat * 0.2);
        AwaitAssert(() =>
        {
            entity.Tell(new PickConnection(Tunnel, "node-a"));
            ExpectMsg<NoConnection>();
        }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Pick_ConnectionThatKeepsBeating_StaysRoutable()
    {
        var (heartbeat, clock) = (TimeSpan.FromMilliseconds(200), new ManualClock());
        var entity = NewEntity(heartbeat, clock);
        var connection = CreateTestProbe().Ref;
        for (var i = 0; i < 6; i++) // 5.4 intervals in all: longer than the three after which a silent one is gone
        {
            BeatAndWait(entity, Beat("steady", connection));
            clock.Advance(heartbeat * 0.9);
            Thread.Sleep(heartbeat * 2); // sweeps run between the beats
        }

        entity.Tell(new PickConnection(Tunnel, "node-a")); // 0.9 intervals after the last beat

        Assert.Equal("steady", ExpectMsg<ConnectionPicked>().ConnectionId);
    }
}
