using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Protocol;
using TunnelActors.Tests.Shared;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Tests;

/// <summary>
/// This node's index of origin connections, which routing reads and opens through without a message round trip,
/// over real mux sessions (loopback TCP) to "connectors" that record the streams they are offered.
/// </summary>
public sealed class LocalConnectionsTests : TestKit, IAsyncLifetime
{
    private const string Tunnel = "smb.site.test";
    private const string Node = "akka.tcp://tunnelactors@edge-a:2552";
    private readonly LocalConnections _local = new(TimeSpan.FromMinutes(1)); // no test here waits for a heartbeat but the one that says so
    private readonly List<LoopbackMuxPair> _sessions = new();

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task APickedConnection_OpensTheStreamOnItsMux_AndABurstSpreadsOverEveryConnection()
    {
        await AnnounceAsync("1@edge-a");
        await AnnounceAsync("2@edge-a");

        var (picked, opener) = _local.Pick(Tunnel, Node)!.Value;
        var opened = Assert.IsType<StreamOpened>(await opener.OpenAsync(new OpenStream(Open(), new StreamHandoff())));
        var far = await _sessions[picked.ConnectionId == "1@edge-a" ? 0 : 1].NextOfferedAsync(); // announced in that order
        Assert.Equal(opened.Stream.Id, far.Id);
        Assert.Equal(Tunnel, far.Open.Hostname);

        // Picks from many threads at once (one already made): each is counted, so the burst alternates instead of piling on one connection.
        var burst = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => Task.Run(() => _local.Pick(Tunnel, Node)!.Value.Connection.ConnectionId)));
        Assert.Equal(50, burst.Count(id => id == "1@edge-a"));
        Assert.Equal(50, burst.Count(id => id == "2@edge-a"));
        Assert.Null(_local.Pick("another.site.test", Node));
    }

    [Fact]
    public async Task AWithdrawnConnection_IsNotPicked_AndAnOpenerPickedJustBefore_RefusesWithTheReason()
    {
        var opener = await AnnounceAsync("1@edge-a");
        var (_, pickedBefore) = _local.Pick(Tunnel, Node)!.Value;

        opener.Close("connection is draining");
        _local.Withdraw("1@edge-a");

        Assert.Null(_local.Pick(Tunnel, Node));
        var refused = Assert.IsType<StreamRefused>(await pickedBefore.OpenAsync(new OpenStream(Open(), new StreamHandoff())));
        Assert.Equal("connection is draining", refused.Reason);
        Assert.False(_sessions[0].Offered.TryRead(out _), "no stream reaches a connector whose connection was withdrawn");
    }

    [Fact]
    public async Task ARetry_SkipsTheConnectionThatRefused_AndFindsNoneWhenItWasTheOnlyOne()
    {
        await AnnounceAsync("1@edge-a");
        Assert.Null(_local.Pick(Tunnel, Node, except: "1@edge-a")); // the router then asks the tunnel's entity

        await AnnounceAsync("2@edge-a");
        for (var i = 0; i < 5; i++)
            Assert.Equal("2@edge-a", _local.Pick(Tunnel, Node, except: "1@edge-a")!.Value.Connection.ConnectionId);
    }

    [Fact]
    public async Task ARequesterThatGaveUp_GetsARefusal_AndTheStreamOpenedForItIsReset()
    {
        var opener = await AnnounceAsync("1@edge-a");
        var handoff = new StreamHandoff();
        handoff.Abandon("client went away");

        var refused = Assert.IsType<StreamRefused>(await opener.OpenAsync(new OpenStream(Open(), handoff)));
        Assert.Equal("the requester gave up", refused.Reason);
        var far = await _sessions[0].NextOfferedAsync();
        var reset = await Assert.ThrowsAnyAsync<Exception>(async () => await far.ReadAsync(new byte[1], CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("client went away", reset.Message);
    }

    [Fact]
    public async Task AConnectionThatDied_RefusesInsteadOfThrowing()
    {
        var opener = await AnnounceAsync("1@edge-a");
        _sessions[0].Edge.Abort(new IOException("carrier lost"));

        var refused = Assert.IsType<StreamRefused>(await opener.OpenAsync(new OpenStream(Open(), new StreamHandoff())));
        Assert.False(string.IsNullOrEmpty(refused.Reason));
    }

    private static OpenPayload Open() => new(Tunnel, "someone@site.test", MuxOptions.Default.StreamWindow);

    /// <summary>A registered connection of <see cref="Tunnel"/> on this node: a mux session to a recording connector, announced.</summary>
    [Fact]
    public async Task AConnectionThatStopsAnnouncing_IsPickedLast_ThenDropped()
    {
        var heartbeat = TimeSpan.FromSeconds(1);
        var clock = new ManualClock();
        var local = new LocalConnections(heartbeat, clock);
        await AnnounceAsync("silent@edge-a", local);
        var live = await AnnounceAsync("live@edge-a", local);

        clock.Advance(heartbeat * 2); // the silent one missed its beats (late after 1.5, dropped after 3)
        Announce(local, "live@edge-a", live);
        var picks = Enumerable.Range(0, 10).Select(_ => local.Pick(Tunnel, Node)!.Value.Connection.ConnectionId).ToList();
        var stillThere = local.Pick(Tunnel, Node, except: "live@edge-a")?.Connection.ConnectionId;
        clock.Advance(heartbeat * 2);
        Announce(local, "live@edge-a", live);

        Assert.All(picks, id => Assert.Equal("live@edge-a", id)); // late: only when nothing else can take the stream
        Assert.Equal("silent@edge-a", stillThere); // late is not gone: picked when nothing else may be
        Assert.Null(local.Pick(Tunnel, Node, except: "live@edge-a")); // silent for four beats: gone
    }

    private async Task<StreamOpener> AnnounceAsync(string connectionId, LocalConnections? local = null)
    {
        var session = await LoopbackMuxPair.StartAsync(Sys.Materializer());
        _sessions.Add(session);
        var opener = new StreamOpener(session.Edge);
        Announce(local ?? _local, connectionId, opener);
        return opener;
    }

    private void Announce(LocalConnections local, string connectionId, StreamOpener opener) =>
        local.Announce(new ConnectionHeartbeat(Tunnel, connectionId, TestActor, Node, "https://edge-a:443", "connector", "replica-1", 0), opener);

    public Task DisposeAsync()
    {
        foreach (var session in _sessions) session.Dispose();
        return Task.CompletedTask;
    }
}
