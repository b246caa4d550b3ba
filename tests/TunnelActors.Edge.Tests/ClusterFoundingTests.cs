using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.State;
using Xunit;

namespace TunnelActors.Edge.Tests;

/// <summary>The first seed founds a cluster only when no other edge served lately: never an island beside a live majority.</summary>
public sealed class ClusterFoundingTests : IDisposable
{
    private static readonly string[] Seeds = ["akka.tcp://tunnelactors@10.0.0.1:2551", "akka.tcp://tunnelactors@10.0.0.2:2551", "akka.tcp://tunnelactors@10.0.0.3:2551"];
    private readonly string _dir = Directory.CreateTempSubdirectory("founding-").FullName;
    private readonly ClusterFounding _founding;

    public ClusterFoundingTests() => _founding = new ClusterFounding(new SqliteDatabase(Path.Combine(_dir, "edge.db")));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
    public void NotTheFirstSeed_NothingToWithhold()
    {
        _founding.Beat("10.0.0.1:2551");

        Assert.Null(_founding.WithholdFounding(Seeds, "10.0.0.2", 2551, NullLogger.Instance)); // Akka never lets it join itself anyway
    }
}
