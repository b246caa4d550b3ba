using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using TunnelActors.Access.Certificates;
using TunnelActors.Origin.Hosting;
using TunnelActors.Origin.Metrics;
using TunnelActors.Origin.Supervisor;

namespace TunnelActors.Origin.Tests;

/// <summary>
/// The connector against an "edge" that accepts TCP and hangs up at once: every dial fails,
/// and the backoff supervisor must space the retries exponentially, with jitter, up to the cap.
/// </summary>
public sealed class ConnectorBackoffTests : TestKit
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromMilliseconds(1600);

    [Fact]
    public async Task Connector_EdgeRefusingEveryDial_RetriesWithExponentialBackoffUpToCap()
    {
        using var edge = new HangUpServer();
        var metrics = new ConnectorMetrics();
        var options = Options(edge.Port, haConnections: 1);

        Sys.ActorOf(Props.Create(() => new ConnectorActor(options, OriginCertificate(), metrics)), "connector");
        await edge.WaitForAttempts(7, TimeSpan.FromSeconds(60));

        var gaps = edge.Gaps();
        var all = string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:0}"));
        // Expected 200, 400, 800, 1600, 1600... ms (+0..20 % jitter) plus the dial itself, which
        // on a loaded 2-core machine (first-call JIT) can add several hundred ms: assert the shape.
        Assert.All(gaps, g => Assert.True(g > Min * 0.75, $"gap {g} is shorter than the minimum backoff: {all}"));
        Assert.All(gaps, g => Assert.True(g < Max * 1.25 + TimeSpan.FromSeconds(3), $"gap {g} exceeds the cap: {all}")); // an uncapped one would be 3.2 s, then 6.4
        Assert.True(gaps.Take(3).Min() < Max * 0.6, $"early retries should come well before the cap: {all}");
        Assert.True(gaps[^1] > Max * 0.75 && gaps[^2] > Max * 0.75, $"later gaps should have reached the cap: {all}");
        Assert.Equal(0, metrics.RegisteredConnections);
    }

    [Fact]
    public async Task Connector_HaConnections_DialsEachIndependently()
    {
        using var edge = new HangUpServer();

        // A long backoff: were the connections one after another, their dials would be seconds apart.
        var options = Options(edge.Port, haConnections: 4) with { MinBackoff = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromSeconds(10) };
        Sys.ActorOf(Props.Create(() => new ConnectorActor(options, OriginCertificate(), new ConnectorMetrics())));

        await edge.WaitForAttempts(4, TimeSpan.FromSeconds(30));
        var first = edge.Attempts.Take(4).ToList();
        Assert.True(first[^1] - first[0] < options.MinBackoff, "the four connections should dial at once, not one after another");
    }

    /// <summary>
    /// A 503 (alive, cannot serve now: draining, a partition's minority side) is retried after the shortest backoff
    /// every time, so the tunnel is back within seconds once an edge serves again; any other refusal backs off further
    /// each time, as an unreachable edge does.
    /// </summary>
    [Theory]
    [InlineData(503, false)]
    [InlineData(429, true)]
    public async Task Connector_EdgeRefusingTheUpgrade_BacksOffFurtherUnlessItSaysItIsAliveButUnavailable(int status, bool growing)
    {
        using var edge = new RefusingTlsEdge(status);
        var options = Options(edge.Port, haConnections: 1) with
        {
            MinBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(30),
            UnavailableRetryJitter = TimeSpan.FromMilliseconds(200), CaFile = edge.CaFile,
        };

        Sys.ActorOf(Props.Create(() => new ConnectorActor(options, OriginCertificate(), new ConnectorMetrics())));
        await edge.Server.WaitForAttempts(4, TimeSpan.FromSeconds(60));

        var gaps = edge.Server.Gaps().Take(3).ToList();
        var all = string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:0}"));
        Assert.All(gaps, g => Assert.True(g > TimeSpan.FromSeconds(1.5), $"gap {g} is shorter than the shortest backoff: {all}"));
        // 2, 4, 8 s (+ up to 20 % jitter) after other refusals; 2 s (+ up to 0.2 s) after each 503, plus a TLS handshake and a request.
        if (growing) Assert.True(gaps[2] > TimeSpan.FromSeconds(6.4), $"after refusals that are not 503 the delay should have doubled twice (2, 4, 8 s): {all}");
        else Assert.All(gaps, g => Assert.True(g < TimeSpan.FromSeconds(5), $"a 503 should be retried after the shortest backoff each time: {all}"));
    }

    private static ConnectorOptions Options(int edgePort, int haConnections) => new()
    {
        Hostname = "smb.site.test",
        Ingress = TunnelActors.Origin.Ingress.IngressRules.Single(new Uri("tcp://127.0.0.1:1")),
        Edge = new Uri($"https://127.0.0.1:{edgePort}"),
        OriginCertificate = "unused",
        HaConnections = haConnections,
        MinBackoff = Min,
        MaxBackoff = Max,
    };

    private static TunnelActors.Origin.EdgeConnections.TunnelIdentity OriginCertificate() =>
        new TunnelActors.Origin.EdgeConnections.QuickTunnelIdentity(
            EdgeCertificateAuthority.Create("test").IssueOriginCertificate("site.test", TimeSpan.FromDays(1)), "smb.site.test", "smb.site.test");

    /// <summary>An "edge" that completes TLS with a certificate from its own CA, then answers every upgrade with <paramref name="status"/>.</summary>
    private sealed class RefusingTlsEdge : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("refusing-edge-").FullName;

        public RefusingTlsEdge(int status)
        {
            var ca = EdgeCertificateAuthority.Create("test edge CA");
            CaFile = Path.Combine(_directory, "ca.pem");
            File.WriteAllText(CaFile, ca.Certificate.ExportCertificatePem());
            var certificate = ca.IssueServerCertificate(["127.0.0.1"], TimeSpan.FromHours(1));
            Server = new HangUpServer(async socket =>
            {
                await using var tls = new System.Net.Security.SslStream(new NetworkStream(socket));
                await tls.AuthenticateAsServerAsync(certificate);
                var request = new byte[8192];
                var read = 0;
                while (read < request.Length && !System.Text.Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n"))
                {
                    var n = await tls.ReadAsync(request.AsMemory(read));
                    if (n == 0) return;
                    read += n;
                }
                await tls.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 {status} Refused\r\nTunnel-Error: refused by the test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
            });
        }

        public string CaFile { get; }
        public HangUpServer Server { get; }
        public int Port => Server.Port;

        public void Dispose()
        {
            Server.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Accepts TCP connections, records when, and closes them straight away (after <paramref name="answer"/>, if given).</summary>
    private sealed class HangUpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly ConcurrentQueue<TimeSpan> _attempts = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public HangUpServer(Func<Socket, Task>? answer = null)
        {
            _listener.Start();
            // Its own thread: a busy thread pool must not make an attempt look later than it came (and the next gap shorter).
            new Thread(() =>
            {
                while (true)
                {
                    Socket socket;
                    try { socket = _listener.AcceptSocket(); }
                    catch (Exception) { return; } // stopped
                    _attempts.Enqueue(_clock.Elapsed);
                    _ = Task.Run(async () =>
                    {
                        using (socket)
                            try { if (answer is not null) await answer(socket); }
                            catch (Exception) { /* the dialler gave up: nothing to answer */ }
                    });
                }
            }) { IsBackground = true, Name = "hang-up server" }.Start();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public IReadOnlyList<TimeSpan> Attempts => _attempts.ToList();

        public List<TimeSpan> Gaps()
        {
            var attempts = Attempts;
            return attempts.Zip(attempts.Skip(1), (a, b) => b - a).ToList();
        }

        public async Task WaitForAttempts(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (_attempts.Count < count)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {_attempts.Count} of {count} dial attempts");
                await Task.Delay(50);
            }
        }

        public void Dispose()
        {
            _listener.Stop();
        }
    }
}
