using TunnelActors.Origin.EdgeConnections;

namespace TunnelActors.Origin.Tests;

public sealed class EdgeRotationTests
{
    private static readonly Uri[] Edges = [new("https://e0:443"), new("https://e1:443"), new("https://e2:443")];

    private long _now = 1_000_000;

    private EdgeRotation Rotation(int connections = 3) => new(Edges, null, connections, TimeSpan.FromSeconds(1), () => _now);

    private static Transport.Tls.EdgeDialer Dialer(EdgeRotation rotation, int edge) =>
        Enumerable.Range(0, 3).Select(rotation.PreferredFor).Single(d => d.Edge == Edges[edge]);

    [Fact]
    public void DialerFor_EachConnection_PrefersItsOwnEdge()
    {
        var rotation = Rotation(4);

        var edges = Enumerable.Range(0, 4).Select(i => rotation.DialerFor(i).Edge.Host).ToList();

        Assert.Equal(["e0", "e1", "e2", "e0"], edges);
    }

    [Fact]
    public void Failed_MovesToTheNextEdge_AndRegisteredGoesBackToThePreferredOne_OnceItIsNoLongerAvoided()
    {
        var rotation = Rotation();

        rotation.Failed(2, Dialer(rotation, 2));
        var afterFailure = rotation.DialerFor(2).Edge.Host;
        rotation.Registered(2, Dialer(rotation, 0));
        var stillAvoided = rotation.DialerFor(2).Edge.Host;
        _now += (long)EdgeRotation.AvoidFor.TotalMilliseconds;

        Assert.Equal("e0", afterFailure);
        Assert.Equal("e0", stillAvoided);
        Assert.Equal("e2", rotation.DialerFor(2).Edge.Host);
    }

    [Fact]
    public void AnEdgeThatFailedOneConnection_IsSkippedByTheOthers()
    {
        var rotation = Rotation();

        rotation.Failed(1, Dialer(rotation, 1)); // e1 frozen: connection 1 found out

        Assert.Equal("e2", rotation.DialerFor(1).Edge.Host);
        Assert.Equal("e0", rotation.DialerFor(0).Edge.Host);
        rotation.MoveAfter(0, Dialer(rotation, 0)); // connection 0's edge falls silent too: it skips e1 as well
        Assert.Equal("e2", rotation.DialerFor(0).Edge.Host);
    }

    [Fact]
    public void EveryEdgeFailedLately_TheRotationGoesOn()
    {
        var rotation = Rotation();
        for (var e = 0; e < 3; e++) rotation.Failed(0, Dialer(rotation, e));

        Assert.Equal("e0", rotation.DialerFor(0).Edge.Host); // its turn after three failures: back to e0
        rotation.Failed(0, Dialer(rotation, 0));
        Assert.Equal("e1", rotation.DialerFor(0).Edge.Host);
    }

    [Fact]
    public void RegisteringOnAnEdge_EndsItsAvoidance()
    {
        var rotation = Rotation();
        rotation.Failed(1, Dialer(rotation, 1));
        rotation.Registered(2, Dialer(rotation, 1)); // another connection got through to it after all
        rotation.MoveAfter(0, Dialer(rotation, 0));

        Assert.Equal("e1", rotation.DialerFor(0).Edge.Host); // e1 is its next turn, and no longer skipped
    }

    [Theory]
    [InlineData(0, 1, "e2")]
    [InlineData(1, 2, "e0")]
    [InlineData(2, 0, "e1")]
    public void MoveAfter_DrainingEdge_NextDialSkipsIt(int connection, int drainingEdge, string expected)
    {
        var rotation = Rotation();

        rotation.MoveAfter(connection, Dialer(rotation, drainingEdge));

        Assert.Equal(expected, rotation.DialerFor(connection).Edge.Host);
    }
}
