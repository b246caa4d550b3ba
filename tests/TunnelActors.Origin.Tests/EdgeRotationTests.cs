using TunnelActors.Origin.EdgeConnections;

namespace TunnelActors.Origin.Tests;

public sealed class EdgeRotationTests
{
    private static readonly Uri[] Edges = [new("https://e0:443"), new("https://e1:443"), new("https://e2:443")];

    private static EdgeRotation Rotation(int connections = 3) => new(Edges, null, connections, TimeSpan.FromSeconds(1));

    [Fact]
    public void DialerFor_EachConnection_PrefersItsOwnEdge()
    {
        var rotation = Rotation(4);

        var edges = Enumerable.Range(0, 4).Select(i => rotation.DialerFor(i).Edge.Host).ToList();

        Assert.Equal(["e0", "e1", "e2", "e0"], edges);
    }

    [Fact]
    public void Failed_MovesToTheNextEdge_AndRegisteredGoesBackToThePreferredOne()
    {
        var rotation = Rotation();

        rotation.Failed(2);
        var afterFailure = rotation.DialerFor(2).Edge.Host;
        rotation.Registered(2);

        Assert.Equal("e0", afterFailure);
        Assert.Equal("e2", rotation.DialerFor(2).Edge.Host);
    }

    [Theory]
    [InlineData(0, 1, "e2")]
    [InlineData(1, 2, "e0")]
    [InlineData(2, 0, "e1")]
    public void MoveAfter_DrainingEdge_NextDialSkipsIt(int connection, int drainingEdge, string expected)
    {
        var rotation = Rotation();
        var draining = Enumerable.Range(0, 3).Select(rotation.PreferredFor).Single(d => d.Edge == Edges[drainingEdge]);

        rotation.MoveAfter(connection, draining);

        Assert.Equal(expected, rotation.DialerFor(connection).Edge.Host);
    }
}
