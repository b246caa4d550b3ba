using System.Diagnostics;
using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>ops/monitoring as an operator uses it: Debian's promtool checks the alert rules, and a real Prometheus server scrapes an edge and a connector.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class MonitoringTests(EchoTunnelFixture fixture)
{
    private static readonly string Monitoring = Path.Combine(Repo.Root, "ops", "monitoring");

    [Fact]
    public async Task AlertRules_PassPromtoolsCheck_AndTheTunnelDownTest()
    {
        var (checkCode, check) = await Tool.Run("promtool", ["check", "rules", Path.Combine(Monitoring, "alerts.yml")], TimeSpan.FromMinutes(1));
        Assert.True(checkCode == 0, check);
        Assert.Contains("SUCCESS: 8 rules found", check);

        var (testCode, test) = await Tool.Run("promtool", ["test", "rules", Path.Combine(Monitoring, "alerts.test.yml")], TimeSpan.FromMinutes(1));
        Assert.True(testCode == 0, test);
        Assert.Contains("SUCCESS", test);
    }

    [Fact]
    public async Task APrometheusServer_ScrapesTheEdgeAndTheConnector_AndLoadsTheRules()
    {
        var dir = Directory.CreateTempSubdirectory("prometheus-").FullName;
        var port = Ports.Free();
        File.WriteAllText(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {Path.Combine(Monitoring, "alerts.yml")}
            scrape_configs:
              - job_name: tunnelactors-edge
                static_configs: [{"{"} targets: ["127.0.0.1:{fixture.Rig.MetricsPort}"] {"}"}]
              - job_name: tunnelactors-connector
                static_configs: [{"{"} targets: ["127.0.0.1:{fixture.Tunnel.MetricsPort}"] {"}"}]
            """);
        using var server = Process.Start(new ProcessStartInfo("prometheus",
            [$"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data", $"--web.listen-address=127.0.0.1:{port}"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        server.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        server.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var up = await QueryUntilAsync(http, "up == 1", results => results.Count == 2, () => string.Join('\n', log.TakeLast(20)));
            Assert.Equal(["tunnelactors-connector", "tunnelactors-edge"], up.Select(r => r.GetProperty("metric").GetProperty("job").GetString()).Order());

            // Our own instruments, the runtime's and the cluster's, as Prometheus stored them.
            var registered = await QueryUntilAsync(http, "tunnelactors_connector_registered_connections", results => results.Count == 1);
            Assert.Equal("2", registered[0].GetProperty("value")[1].GetString());
            Assert.NotEmpty(await QueryUntilAsync(http, "tunnelactors_edge_tunnel_entities >= 1", results => results.Count == 1));
            Assert.NotEmpty(await QueryUntilAsync(http, "tunnelactors_edge_cluster_members{status=\"up\"} == 1", results => results.Count == 1));
            Assert.NotEmpty(await QueryUntilAsync(http, "dotnet_gc_heap_total_allocated_bytes_total > 0", results => results.Count == 2));
            Assert.NotEmpty(await QueryUntilAsync(http, "process_memory_usage_bytes > 0", results => results.Count == 2));

            // Every metric the alert rules and the dashboard name is one the edge or the connector exports
            // (after a stream and a refusal, so that labelled counters and the histogram have samples).
            var exchange = await TcpExchange.RunAsync(fixture.AccessPort, 64 * 1024, seed: 3, TimeSpan.FromSeconds(30));
            Assert.Equal(exchange.SentSha256, exchange.ReceivedSha256);
            Assert.NotEqual(System.Net.HttpStatusCode.SwitchingProtocols, (await fixture.Rig.UpgradeAsync(EchoTunnelFixture.Hostname)).Status);
            var named = System.Text.RegularExpressions.Regex.Matches(
                    File.ReadAllText(Path.Combine(Monitoring, "alerts.yml")) + File.ReadAllText(Path.Combine(Monitoring, "grafana-dashboard.json")),
                    @"\b(?:tunnelactors|dotnet|process)_[a-z_]+\b")
                .Select(m => m.Value).Distinct().ToList();
            Assert.Contains("tunnelactors_edge_refusals_total", named);
            foreach (var metric in named)
                await QueryUntilAsync(http, $"count({{__name__=\"{metric}\"}})", results => results.Count == 1, () => $"{metric} is named in ops/monitoring but not exported");

            var rules = JsonDocument.Parse(await http.GetStringAsync("/api/v1/rules")).RootElement.GetProperty("data").GetProperty("groups")[0].GetProperty("rules");
            Assert.Equal(8, rules.GetArrayLength());
            Assert.All(rules.EnumerateArray(), rule => Assert.Equal("ok", rule.GetProperty("health").GetString()));
            var tunnelDown = rules.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "TunnelActorsTunnelDown");
            Assert.Equal("inactive", tunnelDown.GetProperty("state").GetString()); // the connector is connected
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    private static async Task<List<JsonElement>> QueryUntilAsync(HttpClient http, string query, Func<List<JsonElement>, bool> done, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        List<JsonElement> results = [];
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var body = await http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}");
                results = JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("result").EnumerateArray().ToList();
                if (done(results)) return results;
            }
            catch (HttpRequestException) { } // not listening yet
            await Task.Delay(250);
        }
        throw new TimeoutException($"Prometheus query '{query}' gave {results.Count} results within 60 s. {context?.Invoke()}");
    }
}
