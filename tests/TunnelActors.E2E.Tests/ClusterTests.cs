using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TunnelActors.E2E.Tests;

public sealed class ClusterFixture : IAsyncLifetime
{
    public EdgeCluster Cluster { get; private set; } = null!;
    public EchoServer Echo { get; } = new();

    public async Task InitializeAsync() => Cluster = await EdgeCluster.StartAsync();

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Echo.DisposeAsync();
    }
}

/// <summary>
/// Three edges sharing PostgreSQL: any edge reaches any tunnel, connectors spread over the
/// edges, and the control plane is one.
/// </summary>
public sealed class ClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private EdgeRig Edge(int i) => fixture.Cluster.Edges[i];

    [Fact]
    public async Task Client_OnAnEdgeWithoutConnections_ReachesTheOriginThroughThePeerEdge()
    {
        // Registered on edge 1 only; the client's edge 0 holds no connection of this tunnel.
        await Edge(1).StartTunnel("cross.site.test", fixture.Echo.Port, haConnections: 2);
        // Registered is not yet known to the tunnel's entity: a connection's first heartbeat waits while its edge learns where the shard lives.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await ConnectionNodes("cross.site.test", Edge(0))).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(250);
        var (_, port) = await Edge(0).StartAccess("cross.site.test");

        var result = await TcpExchange.RunAsync(port, 4 * 1024 * 1024, seed: 41, TimeSpan.FromSeconds(60));

        Assert.Equal(result.Sent, result.Received);
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        Assert.Contains("Peer link from", Edge(1).Edge.Output);
    }

    [Fact]
    public async Task SessionRevokedOnOneEdge_EndsItsLiveStreamOnAnother_ByTheBroadcastNotTheRecheck()
    {
        // The connector is on edge 2, the client on edge 1 (relayed to edge 2), the operator on edge 0.
        await Edge(2).StartTunnel("revoke.site.test", fixture.Echo.Port, haConnections: 1);
        var token = await new BrowserlessLogin(Edge(0)).SignInAsync("revoke.site.test", "frank@example.com");
        var opening = Stopwatch.StartNew(); // each edge rechecks a stream's credential 30 s after it opened: the cut must come before
        using var live = await Edge(1).ConnectClient("revoke.site.test", new Dictionary<string, string> { ["Cf-Access-Token"] = token });
        await Carrier.EchoOnce(live, "before");
        using var admin = Edge(0).Admin();
        var streams = await StreamControlTests.Streams(admin, "revoke.site.test");
        var client = streams.Single(s => s.GetProperty("kind").GetString() == "client");
        var session = client.GetProperty("credential").GetString()!["session ".Length..];
        var listed = JsonDocument.Parse(await admin.GetStringAsync("/api/sessions?identity=frank@example.com")).RootElement.GetProperty("sessions"); // PostgreSQL

        var revoking = Stopwatch.StartNew();
        var revoked = await admin.PostAsync($"/api/sessions/{session}/revoke?reason=offboarded", null);
        var reason = await Carrier.CloseOf(live, TimeSpan.FromSeconds(60));
        var (cutAfter, openFor) = (revoking.Elapsed, opening.Elapsed);
        var again = await Edge(2).UpgradeAsync("revoke.site.test", new Dictionary<string, string> { ["Cf-Access-Token"] = token });

        Assert.Equal(session, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetString());
        Assert.Equal(2, streams.Count); // the client's on edge 1 and the relayed one on edge 2: both actors, listed from edge 0
        Assert.Contains(streams, s => s.GetProperty("kind").GetString() == "relayed" && s.GetProperty("identity").GetString() == "frank@example.com");
        Assert.True(revoked.IsSuccessStatusCode, await revoked.Content.ReadAsStringAsync());
        Assert.Contains("session revoked: offboarded", reason);
        // Before the edges' recheck could have: the revocation reached the other edge as a broadcast (usually within milliseconds).
        Assert.True(openFor < TimeSpan.FromSeconds(30), $"the stream on another edge ended {cutAfter.TotalMilliseconds:0} ms after the revocation, {openFor.TotalSeconds:0.0} s after it opened");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, again.Status);
    }

    [Fact]
    public async Task ClusterPort_AStrangerWithoutTheClustersCertificate_CannotConnect()
    {
        // Remoting is TLS with client certificates from the cluster's own CA: a stranger's
        // handshake fails (nothing it could send reaches the deserializer), with or without a certificate.
        using var stranger = TunnelActors.Access.Certificates.EdgeCertificateAuthority.Create("stranger")
            .IssueClusterCertificate("stranger", TimeSpan.FromDays(1));
        foreach (var presented in new[] { null, stranger })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, Edge(0).ClusterPort);
            using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            var outcome = await Record.ExceptionAsync(async () =>
            {
                await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
                {
                    TargetHost = "127.0.0.1",
                    ClientCertificates = presented is null ? null : [presented],
                });
                await tls.WriteAsync(new byte[] { 0, 0, 0, 4, 1, 2, 3, 4 });
                // A server that refused the client certificate closes the connection.
                if (await tls.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) == 0) throw new IOException("closed by the edge");
            });
            Assert.NotNull(outcome);
        }
        Assert.True((await Edge(0).Http().GetAsync("/ready")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task PinBudgetPerAddress_IsCountedAcrossTheCluster()
    {
        // Spreading requests over the edges buys nothing: 5 PINs per address per 10 minutes, cluster-wide.
        var statuses = new List<System.Net.HttpStatusCode>();
        for (var i = 0; i < 6; i++)
            statuses.Add((await new BrowserlessLogin(Edge(i % 3)).RequestPinAsync("share.site.test", null, "spread-budget@evil.test")).Status);

        Assert.All(statuses.Take(5), s => Assert.Equal(System.Net.HttpStatusCode.OK, s));
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, statuses[5]);
    }

    [Fact]
    public async Task SharedControlPlane_AdminTokenAndCa_AreTheSameOnEveryEdge()
    {
        var tokens = fixture.Cluster.Edges.Select(e => File.ReadAllText(Path.Combine(e.DataDir, "admin-token")).Trim()).Distinct().ToList();
        var cas = fixture.Cluster.Edges.Select(e => File.ReadAllText(e.CaFile).Trim()).Distinct().ToList();
        // A service token minted by edge 2 is accepted by edge 0.
        var (status, reason, _) = await Edge(0).UpgradeAsync("nothing.site.test", Edge(2).ServiceTokenHeaders());

        Assert.Single(tokens);
        Assert.Single(cas);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, status);
        Assert.Contains("unknown hostname", reason);
    }

    [Fact]
    public async Task Connector_WithSeveralEdges_SpreadsItsConnectionsOverAllOfThem()
    {
        var connector = await Edge(0).StartTunnel("spread.site.test", fixture.Echo.Port, haConnections: 3,
            extra: ["--edge", Edge(1).EdgeUrl, "--edge", Edge(2).EdgeUrl]);

        // A remote connection's first heartbeat waits while its edge learns where the tunnel's shard lives.
        var nodes = await ConnectionNodes("spread.site.test", Edge(0));
        for (var deadline = DateTime.UtcNow.AddSeconds(60); nodes.Distinct().Count() < 3 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(250);
            nodes = await ConnectionNodes("spread.site.test", Edge(0));
        }

        Assert.Equal(3, nodes.Distinct().Count());
        Assert.False(connector.HasExited);
    }

    [Fact]
    public async Task SignIn_StartedOnOneEdge_FinishesOnAnotherAndIsCollectedOnAThird()
    {
        var start = new BrowserlessLogin(Edge(0));
        var finish = new BrowserlessLogin(Edge(1));
        var (deviceCode, userCode, _) = await start.StartDeviceAsync("share.site.test");
        var codePage = await start.RequestPinAsync("share.site.test", userCode, "alice@example.com");
        var pin = await start.PinFromEdgeLogAsync("alice@example.com", "share.site.test");

        var confirmPage = await finish.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), pin);
        var signedIn = await finish.ConfirmAsync(confirmPage.Html);
        using var http = Edge(2).Http();
        var collected = await BrowserlessLogin.CollectAsync(http, deviceCode);
        var again = await BrowserlessLogin.CollectAsync(Edge(0).Http(), deviceCode);

        Assert.Contains("id=\"signed-in\"", signedIn.Html);
        Assert.Equal(System.Net.HttpStatusCode.OK, collected.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, again.StatusCode); // taken once, cluster-wide
    }

    /// <summary>The edge node of each live connection of <paramref name="tunnel"/>, as the admin API lists them.</summary>
    internal static async Task<List<string>> ConnectionNodes(string tunnel, EdgeRig rig)
    {
        using var http = rig.Http();
        http.DefaultRequestHeaders.Authorization = new("Bearer", File.ReadAllText(Path.Combine(rig.DataDir, "admin-token")).Trim());
        var tunnels = await http.GetFromJsonAsync<JsonElement>("/api/tunnels");
        return tunnels.GetProperty("tunnels").EnumerateArray()
            .Where(t => t.GetProperty("tunnel").GetString() == tunnel)
            .SelectMany(t => t.GetProperty("connections").EnumerateArray())
            .Select(c => c.GetProperty("edge_node").GetString()!)
            .ToList();
    }
}

/// <summary>
/// The chaos suite's CI subset: an edge killed with SIGKILL — the seed, which hosts the shard
/// coordinator — while a client on another edge keeps transferring. Its own cluster, since it
/// kills a member.
/// </summary>
public sealed class ClusterChaosTests(ClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private EdgeRig Edge(int i) => fixture.Cluster.Edges[i];

    [Fact]
    public async Task EdgeKilled_NewStreamsKeepWorking_AndEveryCompletedTransferIsIntact()
    {
        // Kill the seed (oldest member: it hosts the shard coordinator) while a client on edge 1 keeps transferring.
        await Edge(1).StartTunnel("chaos.site.test", fixture.Echo.Port, haConnections: 3,
            extra: ["--edge", Edge(0).EdgeUrl, "--edge", Edge(2).EdgeUrl]);
        var (_, port) = await Edge(1).StartAccess("chaos.site.test");
        await TcpExchange.RunAsync(port, 64 * 1024, seed: 1, TimeSpan.FromSeconds(30));

        Edge(0).Edge.Signal("KILL");
        var killedAt = Stopwatch.StartNew();
        TimeSpan? recovered = null;
        int completed = 0, failed = 0;
        while (killedAt.Elapsed < TimeSpan.FromSeconds(20))
        {
            try
            {
                var result = await TcpExchange.RunAsync(port, 256 * 1024, seed: completed + failed, TimeSpan.FromSeconds(10));
                Assert.Equal(result.SentSha256, result.ReceivedSha256); // a transfer that completes is never corrupt
                recovered ??= killedAt.Elapsed;
                completed++;
            }
            catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                failed++;
            }
        }
        output.WriteLine($"after SIGKILL of the seed edge: first new stream succeeded after {recovered?.TotalSeconds:0.00} s; {completed} transfers completed, {failed} failed");

        Assert.NotNull(recovered);
        Assert.True(completed >= 5, $"only {completed} transfers completed ({failed} failed)");
        // The connector's connection to the dead edge moves to a live one.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await ClusterTests.ConnectionNodes("chaos.site.test", Edge(1))).Count < 3 && DateTime.UtcNow < deadline) await Task.Delay(500);
        Assert.Equal(3, (await ClusterTests.ConnectionNodes("chaos.site.test", Edge(1))).Count);
    }
}

public sealed class TwoEdgeFixture : IAsyncLifetime
{
    public EdgeCluster Cluster { get; private set; } = null!;
    public EchoServer Echo { get; } = new();

    public async Task InitializeAsync() => Cluster = await EdgeCluster.StartAsync(size: 2);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Echo.DisposeAsync();
    }
}

/// <summary>
/// SIGTERM on an edge: GOAWAY to its connectors, which reconnect elsewhere before the old
/// connection closes; a stream in flight there finishes intact; new streams go to the other edge.
/// </summary>
public sealed class EdgeDrainTests(TwoEdgeFixture fixture) : IClassFixture<TwoEdgeFixture>
{
    private EdgeRig Edge(int i) => fixture.Cluster.Edges[i];

    [Fact]
    public async Task EdgeSigterm_InFlightStreamFinishes_ConnectorsMove_NewStreamsUseTheOtherEdge()
    {
        var connector = await Edge(0).StartTunnel("drain.site.test", fixture.Echo.Port, haConnections: 2, extra: ["--edge", Edge(1).EdgeUrl]);
        var (_, port) = await Edge(0).StartAccess("drain.site.test", extraEdges: [Edge(1).EdgeUrl]);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port, cancel.Token);
        using var sent = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var received = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        async Task SendAndEcho(int seed, bool halfClose)
        {
            var chunk = new byte[1024 * 1024];
            new Random(seed).NextBytes(chunk);
            sent.AppendData(chunk);
            await socket.SendAsync(chunk, System.Net.Sockets.SocketFlags.None, cancel.Token);
            if (halfClose) socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            for (var got = 0; got < chunk.Length;)
            {
                var n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cancel.Token);
                if (n == 0) throw new IOException($"stream ended after {got} of {chunk.Length} echoed bytes");
                received.AppendData(buffer, 0, n);
                got += n;
            }
        }

        await SendAndEcho(1, halfClose: false); // the stream runs through edge 0 now
        Edge(0).Edge.Signal("TERM");
        await Edge(0).Edge.WaitForOutput("Edge draining", TimeSpan.FromSeconds(30));
        await connector.WaitForOutput("a replacement connects elsewhere", TimeSpan.FromSeconds(30));
        var fresh = await TcpExchange.RunAsync(port, 256 * 1024, seed: 3, TimeSpan.FromSeconds(30));
        await SendAndEcho(2, halfClose: true); // edge 0 is draining: this stream still flows

        Assert.Equal(sent.GetHashAndReset(), received.GetHashAndReset());
        Assert.Equal(0, await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cancel.Token));
        Assert.Equal(fresh.SentSha256, fresh.ReceivedSha256);
        Assert.Equal(0, await Edge(0).Edge.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains("Edge drained", Edge(0).Edge.Output);
        Assert.Contains("2097152 bytes to origin", Edge(0).Edge.Output); // the in-flight stream finished on the draining edge
        // The exited edge's entries leave the tunnel's table within a few heartbeats.
        var nodes = await ClusterTests.ConnectionNodes("drain.site.test", Edge(1));
        for (var deadline = DateTime.UtcNow.AddSeconds(60); (nodes.Count != 2 || nodes.Any(n => n.EndsWith($":{Edge(0).ClusterPort}"))) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(500);
            nodes = await ClusterTests.ConnectionNodes("drain.site.test", Edge(1));
        }
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, node => Assert.False(node.EndsWith($":{Edge(0).ClusterPort}"), $"{node} is the stopped edge"));
    }
}

/// <summary>
/// An edge frozen (SIGSTOP: alive to TCP, silent to everything above it), the gray failure a
/// crash test misses: the client's carrier and the connector's connection to it go silent, and new
/// connections must go through the other edge on their own, long before anything is cut.
/// </summary>
public sealed class FrozenEdgeTests(ClusterFixture fixture, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task EdgeFrozen_NewConnectionsGoThroughAnotherEdge_AndTheConnectorReplacesItsConnection_BeforeAnythingIsCut()
    {
        // Three edges, so the two that still answer are the majority that downs the frozen one (two would tie).
        var (frozen, other) = (fixture.Cluster.Edges[0], fixture.Cluster.Edges[1]);
        var tunnel = await other.StartTunnel("frozen.site.test", fixture.Echo.Port, haConnections: 2, extra: ["--edge", frozen.EdgeUrl]);
        var (access, port) = await frozen.StartAccess("frozen.site.test", extraEdges: [other.EdgeUrl]); // the carrier starts on the edge to be frozen
        await TcpExchange.RunAsync(port, 64 * 1024, seed: 1, TimeSpan.FromSeconds(10));

        frozen.Edge.Signal("STOP");
        try
        {
            var frozenAt = Stopwatch.StartNew();
            TimeSpan? recovered = null;
            // Before the carrier's dead cut (10 s, logged "silent for"): only its pings' suspicion (1.5 s) can explain a recovery.
            const string carrierCut = "silent for";
            while (recovered is null && !access.Output.Contains(carrierCut) && frozenAt.Elapsed < TimeSpan.FromSeconds(60))
            {
                try
                {
                    var result = await TcpExchange.RunAsync(port, 1024, seed: 2, TimeSpan.FromSeconds(3));
                    Assert.Equal(result.SentSha256, result.ReceivedSha256);
                    recovered = frozenAt.Elapsed;
                }
                catch (Exception e) when (e is IOException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException) { }
            }
            output.WriteLine($"edge frozen: the first new connection succeeded after {recovered?.TotalSeconds:0.00} s");
            Assert.True(recovered is not null && !access.Output.Contains(carrierCut),
                $"no new connection succeeded before the frozen edge's carrier was cut ({frozenAt.Elapsed.TotalSeconds:0.0} s). Access:\n{access.Tail()}");
            for (var i = 0; i < 10; i++) // and every one after it
            {
                var result = await TcpExchange.RunAsync(port, 64 * 1024, seed: 3 + i, TimeSpan.FromSeconds(30));
                Assert.Equal(result.SentSha256, result.ReceivedSha256);
            }
            // The connector's connection to the frozen edge is replaced on its own pings, not at the 15 s cut ("…, reconnecting").
            await tunnel.WaitForOutput("a replacement connects to the next edge", TimeSpan.FromSeconds(30));
            var lines = tunnel.Output.Split('\n');
            var replaced = Array.FindIndex(lines, l => l.Contains("a replacement connects to the next edge"));
            var cut = Array.FindIndex(lines, l => l.Contains("silent for") && l.Contains(", reconnecting"));
            Assert.True(cut < 0 || replaced < cut, $"the connector replaced its connection only after cutting it:\n{tunnel.Tail()}");
            // The other two down it (2 s + 2 s here) before it thaws: then it cannot rejoin as it is.
            using var admin = other.Admin();
            var downedAt = Stopwatch.StartNew();
            while (!await Downed(admin, frozen.ClusterPort) && downedAt.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(200);
            Assert.True(await Downed(admin, frozen.ClusterPort), $"the frozen edge was never downed:\n{other.Edge.Tail()}");
        }
        finally
        {
            frozen.Edge.Signal("CONT");
        }
        // Downed, it cannot rejoin as it is: it stops by itself, with a status the service manager restarts (Restart=on-failure ignores 0).
        Assert.Equal(3, await frozen.Edge.WaitForExit(TimeSpan.FromSeconds(40)));
        await frozen.Edge.WaitForOutput("The cluster downed this node", TimeSpan.FromSeconds(10));
    }

    // Whether the member on that cluster port is gone from the cluster or marked Down.
    private static async Task<bool> Downed(HttpClient admin, int clusterPort) =>
        !JsonDocument.Parse(await admin.GetStringAsync("/api/cluster")).RootElement.GetProperty("members").EnumerateArray()
            .Any(m => m.GetProperty("address").GetString()!.EndsWith($":{clusterPort}") && m.GetProperty("status").GetString() != "Down");
}
