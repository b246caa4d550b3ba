using System.CommandLine;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// `tunnelactors service install|uninstall`: keeps an edge, a connector or an `access tcp`
/// client alive across crashes and reboots — a hardened systemd unit (<see cref="LinuxService"/>)
/// or a Windows service (<see cref="WindowsService"/>), as the SMB walkthrough asks.
/// </summary>
public static class ServiceCommand
{
    public static Command Create()
    {
        var service = new Command("service", "Run an edge, a connector or an access client as a service (systemd, or Windows)");
        service.Subcommands.Add(Install());
        service.Subcommands.Add(Uninstall());
        return service;
    }

    private static Command Install()
    {
        var role = RoleArgument();
        var hostname = new Option<string?>("--hostname") { Description = "tunnel, access: hostname the service is for" };
        var url = new Option<string?>("--url") { Description = "tunnel: tcp://host:port of the service; access: local listen address" };
        var config = new Option<string?>("--config") { Description = "tunnel: run a named tunnel from this configuration (e.g. /etc/tunnelactors/config.yml) instead of --hostname/--url" };
        var extra = new Option<string[]>("--arg") { Description = "Further flag for the command, e.g. --arg=--edge=https://edge.example.com (repeat); secrets go in the unit's environment file instead", AllowMultipleArgumentsPerToken = true };
        var unitDir = UnitDir();
        var binary = new Option<string?>("--binary") { Description = "Executable the service runs (default: this one), e.g. /usr/bin/tunnelactors" };
        var noEnable = new Option<bool>("--no-enable") { Description = "Only write the unit; do not create the user, copy the certificate or run systemctl" };
        var desktop = new Option<bool>("--desktop") { Description = "access: also write a desktop launcher (~/.local/share/applications)" };
        var originCert = new Option<string?>("--origincert") { Description = "tunnel: the origin certificate the service gets a copy of (default: ~/.tunnelactors/cert.pem of the user who signed in, also under sudo)" };
        var command = new Command("install", "Install an edge, connector or access client as a service that restarts on failure and starts at boot")
        {
            role, hostname, url, config, extra, unitDir, binary, noEnable, desktop, originCert,
        };
        command.SetAction(result =>
        {
            var service = ServiceSpec.From(result.GetValue(role)!, result.GetValue(hostname), result.GetValue(url), result.GetValue(config), result.GetValue(extra) ?? []);
            var executable = SelfCommand(result.GetValue(binary));
            var certificate = result.GetValue(originCert) ?? Path.Combine(InstallingUserHome(), ".tunnelactors", "cert.pem");
            if (OperatingSystem.IsWindows())
            {
                if (result.GetValue(noEnable)) throw new ArgumentException("--no-enable writes a systemd unit; on Windows the service is registered with the Service Control Manager");
                return WindowsService.Install(service, executable, certificate);
            }
            return LinuxService.Install(service, executable, certificate, result.GetValue(unitDir), result.GetValue(noEnable), result.GetValue(desktop));
        });
        return command;
    }

    private static Command Uninstall()
    {
        var role = RoleArgument();
        var hostname = new Option<string?>("--hostname") { Description = "tunnel, access: hostname the service is for" };
        var config = new Option<string?>("--config") { Description = "tunnel: the service was installed with --config" };
        var unitDir = UnitDir();
        var noEnable = new Option<bool>("--no-enable") { Description = "Only remove the unit; do not run systemctl" };
        var command = new Command("uninstall", "Stop, disable and remove the service") { role, hostname, config, unitDir, noEnable };
        command.SetAction(result =>
        {
            var name = ServiceSpec.NameOf(result.GetValue(role)!, result.GetValue(hostname)?.ToLowerInvariant(), result.GetValue(config));
            return OperatingSystem.IsWindows()
                ? WindowsService.Uninstall(name)
                : LinuxService.Uninstall(name, result.GetValue(role) == "access", result.GetValue(unitDir), result.GetValue(noEnable));
        });
        return command;
    }

    private static Argument<string> RoleArgument()
    {
        var role = new Argument<string>("role") { Description = "edge, tunnel (the connector) or access (an access tcp client)" };
        role.AcceptOnlyFromAmong("edge", "tunnel", "access");
        return role;
    }

    private static Option<string?> UnitDir() => new("--unit-dir")
    {
        Description = "Where the unit goes (default /etc/systemd/system; for access, the user's ~/.config/systemd/user)",
    };

    /// <summary>How to start this binary again: <paramref name="binary"/>, the apphost, or `dotnet tunnelactors.dll`.</summary>
    private static IReadOnlyList<string> SelfCommand(string? binary)
    {
        if (binary is not null) return [binary];
        var process = Environment.ProcessPath ?? "tunnelactors";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, Path.Combine(AppContext.BaseDirectory, "tunnelactors.dll")] : [process];
    }

    /// <summary>The home of the person installing: under sudo, the invoking user's (where `tunnel login` put the certificate), not root's.</summary>
    private static string InstallingUserHome()
    {
        if (!OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } user && user != "root"
            && Processes.Output("getent", "passwd", user)?.Split(':') is { Length: >= 6 } entry)
            return entry[5];
        return Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    }
}

/// <summary>What one service runs: its name, its description and the role's arguments.</summary>
public sealed record ServiceSpec(string Role, string Name, string Description, IReadOnlyList<string> Arguments, string? Hostname)
{
    /// <summary>A connector for one hostname, proven by the zone's origin certificate (which the service gets a copy of).</summary>
    public bool QuickTunnel => Role == "tunnel" && Hostname is not null;

    public static ServiceSpec From(string role, string? hostname, string? url, string? config, string[] rest)
    {
        var host = hostname?.ToLowerInvariant();
        config = config is null ? null : Path.GetFullPath(config); // services start in / (systemd) or System32 (Windows)
        if (role == "tunnel" && config is not null) host = null;
        return new ServiceSpec(role, NameOf(role, host, config),
            role switch
            {
                "edge" => "TunnelActors edge",
                "tunnel" => $"TunnelActors connector for {host ?? config}",
                _ => $"TunnelActors access client for {host}",
            },
            role switch
            {
                "edge" => ["edge", "--data-dir", Path.Combine(SystemdUnit.StateDirectory, "edge"), .. rest], // an edge is a Linux service only
                "tunnel" when config is not null => ["tunnel", "run", "--config", config, .. rest],
                "tunnel" => ["tunnel", "--hostname", Required(host, "--hostname"), "--url", Required(url, "--url"), .. rest],
                _ => ["access", "tcp", "--hostname", Required(host, "--hostname"), "--url", Required(url, "--url"), "--no-browser", .. rest],
            },
            host);
    }

    /// <summary>tunnelactors-edge, tunnelactors-tunnel (a named tunnel's --config), tunnelactors-ROLE-HOSTNAME.</summary>
    public static string NameOf(string role, string? hostname, string? config) => role switch
    {
        "edge" => "tunnelactors-edge",
        "tunnel" when config is not null => "tunnelactors-tunnel",
        _ => $"tunnelactors-{role}-{Required(hostname, "--hostname")}",
    };

    private static string Required(string? value, string flag) =>
        value ?? throw new ArgumentException($"{flag} is required (or, for tunnel, --config)");
}
