using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>Commands that need no edge: help and policy tests, as scripts would call them.</summary>
public sealed class CliTests
{
    private const string Config = """
        applications:
          - name: share
            domain: smb.site.test
            policies:
              - name: contractors out
                decision: block
                include: [{ group: contractors }]
              - name: staff
                decision: allow
                include: [{ email_domain: example.com }]
                require: [{ ip: 10.0.0.0/8 }]
        """;

    [Theory]
    [InlineData("alice@example.com", "10.1.1.1", null, 0, "ALLOW by policy 'staff'")]
    [InlineData("alice@example.com", "192.0.2.1", null, 1, "DENY by default deny")]
    [InlineData("bob@example.com", "10.1.1.1", "contractors", 1, "DENY by policy 'contractors out'")]
    public async Task PolicyTest_PrintsDecidingPolicyAndExitsByOutcome(string email, string ip, string? group, int exitCode, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "edge.yaml"), Config);
        string[] args = ["access", "policy", "test", "--app", "smb.site.test", "--email", email, "--ip", ip, "--config", Path.Combine(dir, "edge.yaml")];
        if (group is not null) args = [.. args, "--group", group];
        await using var cli = CliProcess.Start("policy-test", dir, args);

        Assert.Equal(exitCode, await cli.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains(expected, cli.Output);
    }

    [Fact]
    public async Task Version_NamesTheVersionAndTheCommitItWasBuiltFrom()
    {
        var commit = (await Tool.Run("git", ["-C", Repo.Root, "rev-parse", "--short=12", "HEAD"], TimeSpan.FromSeconds(30))).Output.Trim();
        var version = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "Directory.Build.props")), "<Version>(.+)</Version>").Groups[1].Value;
        await using var cli = CliProcess.Start("version", Repo.Root, "--version");

        Assert.Equal(0, await cli.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.StartsWith($"tunnelactors {version} (commit {commit}, .NET 10.", cli.Output.Trim());
    }

    [Fact]
    public async Task PolicyTest_BrokenConfig_NamesTheProblem()
    {
        var dir = Directory.CreateTempSubdirectory("cli-").FullName;
        File.WriteAllText(Path.Combine(dir, "edge.yaml"), "applications:\n  - name: x\n    domain: x.test\n    policies:\n      - name: p\n        decision: allow\n        include: [{ emial: a@b.c }]\n");
        await using var cli = CliProcess.Start("policy-test", dir, "access", "policy", "test", "--app", "x.test", "--config", Path.Combine(dir, "edge.yaml"));

        Assert.NotEqual(0, await cli.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("error: ", cli.Output);
        Assert.Contains("unknown selector 'emial'", cli.Output);
        Assert.DoesNotContain("   at ", cli.Output); // a message, not a stack trace
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("tunnel --help")]
    [InlineData("access tcp --help")]
    [InlineData("access login --help")]
    public async Task Help_Commands_Describe(string args)
    {
        await using var cli = CliProcess.Start("help", Path.GetTempPath(), args.Split(' '));

        Assert.Equal(0, await cli.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("Usage:", cli.Output);
    }
}

/// <summary>`--log-format json`: every log event one JSON object, for log shippers.</summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task Edge_WithJsonLogFormat_WritesOneJsonObjectPerEvent()
    {
        await using var rig = await EdgeRig.StartAsync(extra: ["--log-format", "json"]);

        var lines = rig.Edge.Output.Split('\n').Where(l => l.Length > 0).ToList();

        Assert.True(lines.Count > 5, rig.Edge.Output);
        Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l).Dispose());
        Assert.Contains(lines, l => l.Contains("\"Category\":\"TunnelActors.Edge\""));
    }
}

/// <summary>`service install/uninstall`: systemd units that keep a connector or access client alive.</summary>
public sealed class ServiceCommandTests
{
    [Fact]
    public async Task ServiceInstall_Tunnel_WritesAHardenedRestartingUnitThatRunsThisBinary()
    {
        var dir = Directory.CreateTempSubdirectory("units-").FullName;

        await using (var install = CliProcess.Start("service-install", dir, "service", "install", "tunnel", "--hostname", "smb.site.test",
            "--url", "tcp://127.0.0.1:445", "--arg=--edge=https://edge.example.com", "--unit-dir", dir, "--no-enable"))
            Assert.Equal(0, await install.WaitForExit(TimeSpan.FromSeconds(30)));

        var path = Path.Combine(dir, "tunnelactors-tunnel-smb.site.test.service");
        var unit = File.ReadAllText(path);
        Assert.Contains("Restart=always", unit); // a downed edge or a sentinel exit comes back whatever its status
        Assert.Contains("WantedBy=multi-user.target", unit);
        var exec = unit.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ');
        Assert.True(File.Exists(exec[0]), $"ExecStart runs {exec[0]}");
        Assert.Contains(Repo.CliDll, exec);
        Assert.Equal(["tunnel", "--hostname", "smb.site.test", "--url", "tcp://127.0.0.1:445", "--edge=https://edge.example.com",
            "--origincert", "/etc/tunnelactors/smb.site.test.pem", "$TUNNELACTORS_ARGS"], exec[^9..]); // its copy, in a directory only root writes
        foreach (var line in new[] { "User=tunnelactors", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                     "ReadWritePaths=/var/lib/tunnelactors", "StateDirectoryMode=0700", "AmbientCapabilities=", "CapabilityBoundingSet=",
                     "EnvironmentFile=-/etc/tunnelactors/tunnelactors-tunnel-smb.site.test.env" })
            Assert.Contains(line + "\n", unit); // a connector binds nothing privileged: no capabilities at all
        await AssertVerifiesAsync(path);

        await using var uninstall = CliProcess.Start("service-uninstall", dir, "service", "uninstall", "tunnel", "--hostname", "smb.site.test", "--unit-dir", dir, "--no-enable");
        Assert.Equal(0, await uninstall.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task ServiceInstall_EdgeAndNamedTunnel_TheEdgeAloneMayBind443()
    {
        var dir = Directory.CreateTempSubdirectory("units-").FullName;
        await using (var edge = CliProcess.Start("service-install-edge", dir, "service", "install", "edge", "--binary", "/usr/bin/tunnelactors", "--unit-dir", dir, "--no-enable"))
            Assert.Equal(0, await edge.WaitForExit(TimeSpan.FromSeconds(30)));
        await using (var tunnel = CliProcess.Start("service-install-named", dir, "service", "install", "tunnel", "--config", "/etc/tunnelactors/config.yml", "--unit-dir", dir, "--no-enable"))
            Assert.Equal(0, await tunnel.WaitForExit(TimeSpan.FromSeconds(30)));

        var edgeUnit = File.ReadAllText(Path.Combine(dir, "tunnelactors-edge.service"));
        Assert.Contains("ExecStart=/usr/bin/tunnelactors edge --data-dir /var/lib/tunnelactors/edge $TUNNELACTORS_ARGS\n", edgeUnit);
        Assert.Contains("AmbientCapabilities=CAP_NET_BIND_SERVICE\n", edgeUnit);
        var tunnelUnit = File.ReadAllText(Path.Combine(dir, "tunnelactors-tunnel.service"));
        Assert.Contains(" tunnel run --config /etc/tunnelactors/config.yml $TUNNELACTORS_ARGS\n", tunnelUnit);
        Assert.DoesNotContain("CAP_NET_BIND_SERVICE", tunnelUnit);
        await AssertVerifiesAsync(Path.Combine(dir, "tunnelactors-tunnel.service"));
    }

    [Fact]
    public async Task ServiceInstall_TunnelWithoutHostnameOrConfig_IsRefusedWithTheReason()
    {
        var dir = Directory.CreateTempSubdirectory("units-").FullName;
        await using var install = CliProcess.Start("service-install-bad", dir, "service", "install", "tunnel", "--url", "tcp://127.0.0.1:445", "--unit-dir", dir, "--no-enable");
        Assert.Equal(2, await install.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("--hostname is required", install.Output);
        Assert.Empty(Directory.GetFiles(dir));
    }

    /// <summary>systemd's own check of a unit file (syntax, directives, the executable).</summary>
    private static async Task AssertVerifiesAsync(string unit)
    {
        var (exit, output) = await Tool.Run("systemd-analyze", ["verify", unit], TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"systemd-analyze verify {unit}: {output}");
    }

    [Fact]
    public async Task ServiceInstall_AccessWithDesktop_WritesUnitAndLauncher()
    {
        var dir = Directory.CreateTempSubdirectory("units-").FullName;
        var home = Directory.CreateTempSubdirectory("home-").FullName;

        await using var install = CliProcess.Start("service-install", dir, new Dictionary<string, string> { ["HOME"] = home },
            "service", "install", "access", "--hostname", "smb.site.test", "--url", "127.0.0.1:8445", "--unit-dir", dir, "--no-enable", "--desktop");

        Assert.Equal(0, await install.WaitForExit(TimeSpan.FromSeconds(30)));
        var unit = File.ReadAllText(Path.Combine(dir, "tunnelactors-access-smb.site.test.service"));
        Assert.Contains("access tcp --hostname smb.site.test --url 127.0.0.1:8445", unit);
        Assert.Contains("WantedBy=default.target\n", unit); // the person's own user unit: their home, their cached sign-in
        Assert.DoesNotContain("User=", unit);
        var launcher = File.ReadAllText(Path.Combine(home, ".local", "share", "applications", "tunnelactors-access-smb.site.test.desktop"));
        Assert.Contains("Terminal=true", launcher);
        Assert.DoesNotContain("--no-browser", launcher); // a person at the desktop signs in in the browser
    }
}
