using Akka.Actor;
using Akka.Cluster;
using TunnelActors.Edge.Hosting;
using Xunit;

namespace TunnelActors.Edge.Tests;

/// <summary>The edge refuses new streams exactly where the split-brain resolver (keep-majority) would down it.</summary>
public sealed class ClusterQuorumTests
{
    private static (Address, MemberStatus, bool) Edge(int port, bool reachable = true, MemberStatus status = MemberStatus.Up) =>
        (new Address("akka.ssl.tcp", "tunnelactors", "10.0.0.1", port), status, reachable);

    [Fact]
    public void AllReachable_Serves() =>
        Assert.Null(ClusterQuorum.Decide([Edge(1), Edge(2), Edge(3)], MemberStatus.Up));

    [Fact]
    public void OneOfThreeUnreachable_TheTwoServe() =>
        Assert.Null(ClusterQuorum.Decide([Edge(1, reachable: false), Edge(2), Edge(3)], MemberStatus.Up));

    [Fact]
    public void AloneAgainstTwo_Refuses_NamingTheCount()
    {
        var refusal = ClusterQuorum.Decide([Edge(1), Edge(2, reachable: false), Edge(3, reachable: false)], MemberStatus.Up);
        Assert.Contains("reaches 1 of 3 edges", refusal!.Detail);
        Assert.Equal("this edge is on the minority side of a partition: use another edge", refusal.Public); // strangers learn no counts
    }

    [Fact]
    public void EvenSplit_TheSideWithTheLowestAddressServes()
    {
        Assert.Null(ClusterQuorum.Decide([Edge(1), Edge(2), Edge(3, false), Edge(4, false)], MemberStatus.Up));
        Assert.NotNull(ClusterQuorum.Decide([Edge(1, false), Edge(2, false), Edge(3), Edge(4)], MemberStatus.Up));
    }

    [Fact]
    public void JoiningMembersDecideNothing() =>
        // A third edge still joining does not make a two-edge cluster's survivor a minority.
        Assert.Null(ClusterQuorum.Decide([Edge(1), Edge(2, reachable: false), Edge(3, status: MemberStatus.Joining)], MemberStatus.Up));

    [Theory]
    [InlineData(MemberStatus.Joining)]
    [InlineData(MemberStatus.Leaving)]
    [InlineData(MemberStatus.Down)]
    [InlineData(null)]
    public void NotUp_Refuses(MemberStatus? self) =>
        Assert.Contains("not an Up cluster member", ClusterQuorum.Decide([Edge(1), Edge(2)], self)!.Public);
}
