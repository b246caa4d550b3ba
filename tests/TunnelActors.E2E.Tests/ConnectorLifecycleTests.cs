using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>The connector's readiness, metrics and graceful shutdown, as an operator sees them.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class ConnectorLifecycleTests(EchoTunnelFixture fixture)
{
    [Fact]
    public async Task Ready_WithRegisteredConnections_Returns200AndCount()
    {
        using var http = new HttpClient();

        // A connection being replaced (a busy machine can make a ping late) counts one less for a moment: ask again until it is back.
        (HttpStatusCode Status, int Ready) ready = default;
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); ready != (HttpStatusCode.OK, 2) && waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(200))
        {
            var response = await http.GetAsync($"http://127.0.0.1:{fixture.Tunnel.MetricsPort}/ready");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            ready = (response.StatusCode, body.RootElement.GetProperty("readyConnections").GetInt32());
        }

        Assert.Equal((HttpStatusCode.OK, 2), ready);
    }

    [Fact]
    public async Task Ready_WhenEdgeUnreachable_Returns503AndCountsAttempts()
    {
        var metricsPort = Ports.Free();
        await using var connector = CliProcess.Start("tunnel-no-edge", fixture.Rig.DataDir,
            "tunnel", "--hostname", "lonely.site.test", "--url", $"tcp://127.0.0.1:{fixture.Echo.Port}",
            "--edge", $"https://127.0.0.1:{Ports.Free()}", "--ca-file", fixture.Rig.CaFile, "--origincert", fixture.Rig.OriginCert,
            "--ha-connections", "1", "--metrics", $"127.0.0.1:{metricsPort}");
        await Ports.WaitListening(metricsPort, TimeSpan.FromSeconds(30));
        await connector.WaitForOutput("cannot connect to edge", TimeSpan.FromSeconds(30));
        using var http = new HttpClient();

        var ready = await http.GetAsync($"http://127.0.0.1:{metricsPort}/ready");
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"readyConnections\":0", await ready.Content.ReadAsStringAsync());
        Assert.Matches(@"tunnelactors_connector_connect_attempts_total\{otel_scope_name=""TunnelActors.[A-Za-z]+""\} [1-9]", metrics);
    }

    [Fact]
    public async Task Metrics_AfterTraffic_CountStreamsAndBytes()
    {
        await TcpExchange.RunAsync(fixture.AccessPort, 100_000, seed: 3, TimeSpan.FromSeconds(30));
        using var http = new HttpClient();

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{fixture.Tunnel.MetricsPort}/metrics");

        Assert.Matches(@"tunnelactors_connector_streams_total\{otel_scope_name=""TunnelActors.[A-Za-z]+""\} [1-9]", metrics);
        Assert.Matches(@"tunnelactors_connector_bytes_to_origin_total\{otel_scope_name=""TunnelActors.[A-Za-z]+""\} [1-9]\d{4,}", metrics);
        await AssertExportedInBothFormats(http, fixture.Tunnel.MetricsPort, "tunnelactors_connector_registered_connections", "tunnelactors_connector_ha_connections",
            "tunnelactors_connector_connect_attempts_total", "tunnelactors_connector_streams_total", "tunnelactors_connector_streams_open",
            "tunnelactors_connector_origin_errors_total", "tunnelactors_connector_bytes_to_origin_total", "tunnelactors_connector_bytes_from_origin_total",
            "tunnelactors_connector_origin_certificate_expiry_timestamp_seconds");
    }

    [Fact]
    public async Task EdgeMetrics_OnTheMetricsPortOnly_CountConnectionsStreamsAndDecisions()
    {
        await TcpExchange.RunAsync(fixture.AccessPort, 50_000, seed: 4, TimeSpan.FromSeconds(30));
        using var http = new HttpClient();
        using var publicPort = fixture.Rig.Http();

        var metrics = await http.GetStringAsync($"http://127.0.0.1:{fixture.Rig.MetricsPort}/metrics");
        var onPublicPort = await publicPort.GetAsync("/metrics");

        Assert.Matches(@"tunnelactors_edge_connections\{otel_scope_name=""TunnelActors.[A-Za-z]+""\} [2-9]", metrics);
        Assert.Matches(@"tunnelactors_edge_streams_total\{otel_scope_name=""TunnelActors.[A-Za-z]+""\} [1-9]", metrics);
        Assert.Matches(@"tunnelactors_edge_bytes_to_origin_total\{otel_scope_name=""TunnelActors.[A-Za-z]+""\} [1-9]\d{4,}", metrics);
        Assert.Matches("tunnelactors_edge_access_decisions_total\\{otel_scope_name=\"TunnelActors.Edge\",decision=\"allow\"\\} [1-9]", metrics);
        Assert.Contains("tunnelactors_edge_client_handshake_seconds_bucket{otel_scope_name=\"TunnelActors.Edge\",le=\"+Inf\"}", metrics);
        Assert.Matches(@"dotnet_gc_collections_total\{[^}]*\} \d", metrics); // the runtime's own metrics
        Assert.Matches(@"process_memory_usage_bytes\{[^}]*\} [1-9]", metrics);
        Assert.Matches(@"tunnelactors_edge_cluster_members\{otel_scope_name=""TunnelActors.Edge"",status=""up""\} 1", metrics);
        Assert.NotEqual(HttpStatusCode.OK, onPublicPort.StatusCode);

        await AssertExportedInBothFormats(http, fixture.Rig.MetricsPort, "tunnelactors_edge_connections", "tunnelactors_edge_connections_registered_total",
            "tunnelactors_edge_streams_open", "tunnelactors_edge_streams_total", "tunnelactors_edge_bytes_to_origin_total", "tunnelactors_edge_bytes_to_client_total",
            "tunnelactors_edge_access_decisions_total", "tunnelactors_edge_stream_open_phase_microseconds_total", "tunnelactors_edge_stream_open_phase_total",
            "tunnelactors_edge_tunnel_entities", "tunnelactors_edge_cluster_members", "tunnelactors_edge_cluster_unreachable_members",
            "tunnelactors_edge_tls_certificate_expiry_timestamp_seconds", "tunnelactors_edge_client_handshake_seconds_bucket");
    }

    /// <summary>
    /// Every one of <paramref name="names"/> is exported both as text and as OpenMetrics (what Prometheus asks for, where a
    /// counter's family drops _total: a name that collides there vanishes), and the two formats list the same samples.
    /// </summary>
    private static async Task AssertExportedInBothFormats(HttpClient http, int port, params string[] names)
    {
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        var openMetrics = await (await http.SendAsync(request)).Content.ReadAsStringAsync();
        static List<string> Samples(string exposition) => System.Text.RegularExpressions.Regex.Matches(exposition, @"^(tunnelactors_\w+)\{", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Where(n => !n.EndsWith("_created", StringComparison.Ordinal)).Distinct().Order().ToList();
        Assert.Equal(Samples(text), Samples(openMetrics));
        Assert.All(names, name => Assert.Contains(name, Samples(openMetrics)));
    }

    [Fact]
    public async Task Sigterm_WithOpenStream_LetsItFinishThenExitsZero()
    {
        const string hostname = "drain.site.test";
        await using var connector = await fixture.Rig.StartTunnel(hostname, fixture.Echo.Port, haConnections: 2, extra: ["--grace-period", "20s"]);
        var (_, accessPort) = await fixture.Rig.StartAccess(hostname);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, accessPort);
        await Carrier.EchoOnce(socket, "before SIGTERM");

        connector.Signal("TERM");
        await connector.WaitForOutput("Draining", TimeSpan.FromSeconds(10));
        await Carrier.EchoOnce(socket, "during the drain"); // the open stream keeps working
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();

        Assert.Equal(0, await connector.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("all connections drained", connector.Output);
    }

}
