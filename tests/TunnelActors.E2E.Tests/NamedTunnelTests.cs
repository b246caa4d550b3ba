using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// cloudflared's named-tunnel workflow end to end: `tunnel create` writes a credentials file,
/// `tunnel route dns` routes hostnames, `tunnel run --config` serves them by ingress rule,
/// `tunnel list/info` show it live, a quick tunnel cannot take a routed hostname over, and
/// `tunnel delete` refuses while connected unless forced.
/// </summary>
public sealed class NamedTunnelTests : IAsyncLifetime
{
    private EdgeRig _rig = null!;
    private readonly EchoServer _files = new();
    private readonly EchoServer _backup = new();
    private string _home = null!;

    public async Task InitializeAsync()
    {
        _rig = await EdgeRig.StartAsync();
        _home = Directory.CreateTempSubdirectory("home-named-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _files.DisposeAsync();
        await _backup.DisposeAsync();
    }

    private async Task<(int Exit, string Output)> Cli(params string[] args)
    {
        await using var process = _rig.Run($"cli-{args[1]}", new Dictionary<string, string> { ["HOME"] = _home }, [.. args]);
        var exit = await process.WaitForExit(TimeSpan.FromSeconds(60));
        return (exit, process.Output);
    }

    private string[] Api => ["--edge", _rig.EdgeUrl, "--ca-file", _rig.CaFile, "--origincert", _rig.OriginCert];

    [Fact]
    public async Task NamedTunnel_CreateRouteRun_ServesEachHostnameByIngress_ListInfoDelete()
    {
        var (created, createOutput) = await Cli(["tunnel", "create", "files", .. Api]);
        Assert.True(created == 0, createOutput);
        var credentialsPath = Directory.GetFiles(Path.Combine(_home, ".tunnelactors"), "*.json").Single();
        var credentials = JsonDocument.Parse(File.ReadAllText(credentialsPath)).RootElement;
        var id = credentials.GetProperty("TunnelID").GetString()!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(credentialsPath));
        Assert.Contains(id, createOutput);
        Assert.DoesNotContain(credentials.GetProperty("TunnelSecret").GetString()!, createOutput);

        foreach (var hostname in new[] { "files.site.test", "backup.site.test", "nothing.site.test" })
        {
            var (routed, routeOutput) = await Cli(["tunnel", "route", "dns", "files", hostname, .. Api]);
            Assert.True(routed == 0, routeOutput);
        }
        var config = Path.Combine(_home, "config.yml");
        File.WriteAllText(config, $"""
            tunnel: {id}
            credentials-file: {credentialsPath}
            ingress:
              - hostname: files.site.test
                service: tcp://127.0.0.1:{_files.Port}
              - hostname: "*.site.test"
                service: tcp://127.0.0.1:{_backup.Port}
              - service: http_status:404
            """);
        var (valid, validOutput) = await Cli("tunnel", "ingress", "validate", "--config", config);
        Assert.True(valid == 0, validOutput);

        var metricsPort = Ports.Free();
        var connector = _rig.Run("tunnel-run", new Dictionary<string, string> { ["HOME"] = _home },
            "tunnel", "run", "--config", config, "--edge", _rig.EdgeUrl, "--ca-file", _rig.CaFile, "--ha-connections", "2", "--metrics", $"127.0.0.1:{metricsPort}");
        connector.MetricsPort = metricsPort;
        await _rig.WaitConnectorReady(connector, 2);

        var (_, filesPort) = await _rig.StartAccess("files.site.test");
        var (_, backupPort) = await _rig.StartAccess("backup.site.test");
        var toFiles = await TcpExchange.RunAsync(filesPort, 256 * 1024, seed: 1, TimeSpan.FromSeconds(30));
        // The listening probe's own stream (opened and closed at once) may reach files only now: wait until the count holds still.
        var filesHits = _files.Accepted;
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30); filesHits = _files.Accepted)
        {
            await Task.Delay(2000);
            if (_files.Accepted == filesHits) break;
        }
        var toBackup = await TcpExchange.RunAsync(backupPort, 256 * 1024, seed: 2, TimeSpan.FromSeconds(30));

        Assert.Equal(toFiles.SentSha256, toFiles.ReceivedSha256);
        Assert.Equal(toBackup.SentSha256, toBackup.ReceivedSha256);
        Assert.True(filesHits >= 1 && _files.Accepted == filesHits && _backup.Accepted >= 1, $"files {_files.Accepted}, backup {_backup.Accepted}");

        var (_, list) = await Cli(["tunnel", "list", .. Api]);
        Assert.Matches($@"{id}\s+files\s+\S+ \S+\s+2\s+backup.site.test,files.site.test,nothing.site.test", list);
        var (_, info) = await Cli(["tunnel", "info", "files", .. Api]);
        Assert.Equal(2, info.Split('\n').Count(l => l.Contains($"@127.0.0.1")));

        // A quick tunnel may not take over a hostname routed to the named tunnel.
        var squatter = await _rig.StartTunnel("files.site.test", _backup.Port, haConnections: 1, waitReady: false);
        await squatter.WaitForOutput("routed to tunnel files", TimeSpan.FromSeconds(30));

        var (refused, refusedOutput) = await Cli(["tunnel", "delete", "files", .. Api]);
        Assert.Equal(2, refused);
        Assert.Contains("2 live connections", refusedOutput);
        var (deleted, deletedOutput) = await Cli(["tunnel", "delete", "files", "--force", .. Api]);
        Assert.True(deleted == 0, deletedOutput);
        await connector.WaitForOutput("no tunnel " + id, TimeSpan.FromSeconds(30));
        var (_, after) = await Cli(["tunnel", "list", .. Api]);
        Assert.DoesNotContain(id, after);
    }

    [Fact]
    public async Task AccessTcp_ConfigWithTwoApplications_ServesBothFromOneProcess()
    {
        await _rig.StartTunnel("alpha.site.test", _files.Port, haConnections: 1);
        await _rig.StartTunnel("beta.site.test", _backup.Port, haConnections: 1);
        var (alphaPort, betaPort) = (Ports.Free(), Ports.Free());
        var config = Path.Combine(_home, "access.yml");
        File.WriteAllText(config, $"""
            edge: {_rig.EdgeUrl}
            ca-file: {_rig.CaFile}
            listeners:
              - hostname: alpha.site.test
                url: 127.0.0.1:{alphaPort}
              - hostname: beta.site.test
                url: localhost:{betaPort}
            """);
        var (id, secret) = _rig.ServiceToken;
        _rig.Run("access-config", new Dictionary<string, string> { ["TUNNEL_SERVICE_TOKEN_ID"] = id, ["TUNNEL_SERVICE_TOKEN_SECRET"] = secret },
            "access", "tcp", "--config", config, "--no-browser");
        await Ports.WaitListening(alphaPort, TimeSpan.FromSeconds(30));
        await Ports.WaitListening(betaPort, TimeSpan.FromSeconds(30));
        var (filesBefore, backupBefore) = (_files.Accepted, _backup.Accepted);

        var alpha = await TcpExchange.RunAsync(alphaPort, 128 * 1024, seed: 5, TimeSpan.FromSeconds(30));
        var beta = await TcpExchange.RunAsync(betaPort, 128 * 1024, seed: 6, TimeSpan.FromSeconds(30));

        Assert.Equal(alpha.SentSha256, alpha.ReceivedSha256);
        Assert.Equal(beta.SentSha256, beta.ReceivedSha256);
        Assert.True(_files.Accepted > filesBefore && _backup.Accepted > backupBefore, "each listener reached its own application");
    }

    [Fact]
    public async Task TunnelApi_UnsignedOrStale_Refused401WithReason()
    {
        using var http = _rig.Http();
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/cdn-cgi/tunnel/api/tunnels");
        stale.Headers.Add("Tunnel-Timestamp", DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds().ToString());

        var unsigned = await http.GetAsync("/cdn-cgi/tunnel/api/tunnels");
        var old = await http.SendAsync(stale);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Contains("sign the request with your origin certificate", await unsigned.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Contains("minutes from the edge's clock", await old.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task IngressValidate_BadConfig_ExitsNonZeroWithLineAndReason()
    {
        var config = Path.Combine(_home, "bad.yml");
        File.WriteAllText(config, "tunnel: files\ningress:\n  - hostname: files.site.test\n    service: tcp://127.0.0.1:445\n");

        var (exit, output) = await Cli("tunnel", "ingress", "validate", "--config", config);
        var (runExit, runOutput) = await Cli("tunnel", "run", "--config", config, "--edge", _rig.EdgeUrl);

        Assert.Equal(2, exit);
        Assert.Contains($"{config}:3: ingress rule 1 is the last rule", output);
        Assert.Equal(2, runExit);
        Assert.Contains($"{config}:3:", runOutput);
    }
}
