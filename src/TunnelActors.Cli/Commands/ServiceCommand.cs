using System.CommandLine;
using System.Diagnostics;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// `tunnelactors service install|uninstall`: keeps an edge, a connector or an `access tcp`
/// client alive across crashes and reboots with a hardened systemd unit (<see cref="SystemdUnit"/>),
/// as the SMB walkthrough asks; `--desktop` also writes a launcher for the access client.
/// </summary>
public static class ServiceCommand
{
    public static Command Create()
    {
        var service = new Command("service", "Run an edge, a connector or an access client as a systemd service");
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
        var extra = new Option<string[]>("--arg") { Description = "Further flag for the command, e.g. --arg=--edge=https://edge.example.com (repeat)", AllowMultipleArgumentsPerToken = true };
        var unitDir = UnitDir();
        var binary = new Option<string?>("--binary") { Description = "Executable the unit runs (default: this one), e.g. /usr/bin/tunnelactors" };
        var noEnable = new Option<bool>("--no-enable") { Description = "Only write the unit; do not create the user or run systemctl" };
        var desktop = new Option<bool>("--desktop") { Description = "access: also write a desktop launcher (~/.local/share/applications)" };
        var originCert = new Option<string>("--origincert")
        {
            Description = "tunnel: the origin certificate copied into the service's state directory",
            DefaultValueFactory = _ => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tunnelactors", "cert.pem"),
        };
        var command = new Command("install", "Install an edge, connector or access client as a service that restarts on failure and starts at boot (a hardened systemd unit; on Windows, a Windows service)")
        {
            role, hostname, url, config, extra, unitDir, binary, noEnable, desktop, originCert,
        };
        command.SetAction(result =>
        {
            var kind = result.GetValue(role)!;
            var host = result.GetValue(hostname)?.ToLowerInvariant();
            var (configFile, target) = (result.GetValue(config), result.GetValue(url));
            var name = UnitName(kind, host, configFile);
            var rest = result.GetValue(extra) ?? [];
            var quickTunnel = kind == "tunnel" && configFile is null;
            string[] args = kind switch
            {
                "edge" => ["edge", "--data-dir", Path.Combine(StateDirectory, "edge"), .. rest],
                "tunnel" when configFile is not null => ["tunnel", "run", "--config", configFile, .. rest],
                "tunnel" => ["tunnel", "--hostname", Required(host, "--hostname"), "--url", Required(target, "--url"), .. rest],
                _ => ["access", "tcp", "--hostname", Required(host, "--hostname"), "--url", Required(target, "--url"), "--no-browser", .. rest],
            };
            var unit = new SystemdUnit(
                Description: kind switch
                {
                    "edge" => "TunnelActors edge",
                    "tunnel" => $"TunnelActors connector for {host ?? configFile}",
                    _ => $"TunnelActors access client for {host}",
                },
                Command: [.. SelfCommand(result.GetValue(binary)), .. args],
                BindsPrivilegedPort: kind == "edge",
                EnvironmentFile: $"/etc/tunnelactors/{Path.GetFileNameWithoutExtension(name)}.env");
            if (OperatingSystem.IsWindows())
            {
                if (result.GetValue(noEnable)) throw new ArgumentException("--no-enable writes a systemd unit; on Windows the service is registered with the Service Control Manager");
                string[] command = quickTunnel ? [.. unit.Command, "--origincert", CopyOriginCertificate(result.GetValue(originCert)!, Path.Combine(StateDirectory, $"{host}.pem"))] : [.. unit.Command];
                return WindowsService.Install(Path.GetFileNameWithoutExtension(name), unit.Description, command, kind);
            }
            var path = Path.Combine(result.GetValue(unitDir)!, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, unit.Render());
            Console.WriteLine($"Wrote {path}");
            Console.WriteLine($"It runs as the user {SystemdUnit.User} with its state in {SystemdUnit.StateDirectory} (0700); files it reads (--ca-file, credentials) belong under /etc/tunnelactors, readable by {SystemdUnit.User}, and secrets in {unit.EnvironmentFile} (0600).");
            if (kind == "access" && result.GetValue(desktop)) WriteDesktopLauncher(host!, string.Join(' ', unit.Command.Select(SystemdUnit.Quote)));
            // The unit's HOME is the state directory: the connector finds its origin certificate at ~/.tunnelactors/cert.pem there.
            var serviceCert = Path.Combine(StateDirectory, ".tunnelactors", "cert.pem");
            if (!result.GetValue(noEnable))
            {
                if (EnsureUser() is { } failed) return failed;
                if (quickTunnel) CopyOriginCertificate(result.GetValue(originCert)!, serviceCert);
                return Systemctl("daemon-reload") ?? Systemctl("enable", "--now", name) ?? 0;
            }
            if (quickTunnel) Console.WriteLine($"Copy the origin certificate to {serviceCert} (0600, owned by {SystemdUnit.User}) before enabling it.");
            Console.WriteLine($"Enable it with: systemctl daemon-reload && systemctl enable --now {name}");
            return 0;
        });
        return command;
    }

    /// <summary>Where services keep their state: /var/lib/tunnelactors, or %ProgramData%\tunnelactors on Windows.</summary>
    private static string StateDirectory => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "tunnelactors")
        : SystemdUnit.StateDirectory;

    /// <summary>
    /// The service account cannot read the installing user's home: its origin certificate is copied into the
    /// state directory, readable by that account only. Returns where it went.
    /// </summary>
    private static string CopyOriginCertificate(string source, string target)
    {
        if (!File.Exists(source))
            throw new FileNotFoundException($"origin certificate {source} not found: run `tunnelactors tunnel login` first, or pass --origincert");
        if (OperatingSystem.IsWindows())
        {
            WindowsService.PrepareStateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target, overwrite: true); // inherits the directory's ACL
        }
        else
        {
            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            foreach (var directory in new[] { StateDirectory, Path.GetDirectoryName(target)! })
            {
                Directory.CreateDirectory(directory, Private);
                File.SetUnixFileMode(directory, Private);
            }
            File.Copy(source, target, overwrite: true);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Run("chown", "-R", $"{SystemdUnit.User}:{SystemdUnit.User}", StateDirectory);
        }
        Console.WriteLine($"Copied the origin certificate to {target}");
        return target;
    }

    private static string Required(string? value, string flag) =>
        value ?? throw new ArgumentException($"{flag} is required (or, for tunnel, --config)");

    private static Argument<string> RoleArgument()
    {
        var role = new Argument<string>("role") { Description = "edge, tunnel (the connector) or access (an access tcp client)" };
        role.AcceptOnlyFromAmong("edge", "tunnel", "access");
        return role;
    }

    private static Command Uninstall()
    {
        var role = RoleArgument();
        var hostname = new Option<string?>("--hostname") { Description = "tunnel, access: hostname the service is for" };
        var config = new Option<string?>("--config") { Description = "tunnel: the unit was installed with --config" };
        var unitDir = UnitDir();
        var noEnable = new Option<bool>("--no-enable") { Description = "Only remove the unit; do not run systemctl" };
        var command = new Command("uninstall", "Stop, disable and remove the systemd unit") { role, hostname, config, unitDir, noEnable };
        command.SetAction(result =>
        {
            var name = UnitName(result.GetValue(role)!, result.GetValue(hostname)?.ToLowerInvariant(), result.GetValue(config));
            if (OperatingSystem.IsWindows()) return WindowsService.Uninstall(Path.GetFileNameWithoutExtension(name));
            if (!result.GetValue(noEnable)) Systemctl("disable", "--now", name);
            var path = Path.Combine(result.GetValue(unitDir)!, name);
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"error: {path} does not exist");
                return 1;
            }
            File.Delete(path);
            Console.WriteLine($"Removed {path}");
            return 0;
        });
        return command;
    }

    private static Option<string> UnitDir() => new("--unit-dir")
    {
        Description = "Where units go", DefaultValueFactory = _ => "/etc/systemd/system",
    };

    /// <summary>tunnelactors-edge, tunnelactors-tunnel (a named tunnel's --config), tunnelactors-ROLE-HOSTNAME.</summary>
    public static string UnitName(string role, string? hostname, string? config) => role switch
    {
        "edge" => "tunnelactors-edge.service",
        "tunnel" when config is not null => "tunnelactors-tunnel.service",
        _ => $"tunnelactors-{role}-{Required(hostname, "--hostname")}.service",
    };

    /// <summary>How to start this binary again: <paramref name="binary"/>, the apphost, or `dotnet tunnelactors.dll`.</summary>
    private static IEnumerable<string> SelfCommand(string? binary)
    {
        if (binary is not null) return [binary];
        var process = Environment.ProcessPath ?? "tunnelactors";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, Path.Combine(AppContext.BaseDirectory, "tunnelactors.dll")] : [process];
    }

    /// <summary>Creates the system user the units run as, unless it exists; null on success.</summary>
    private static int? EnsureUser()
    {
        if (Run("id", "-u", SystemdUnit.User) == 0) return null;
        if (Run("useradd", "--system", "--home-dir", SystemdUnit.StateDirectory, "--no-create-home", "--shell", "/usr/sbin/nologin", SystemdUnit.User) == 0) return null;
        Console.Error.WriteLine($"error: could not create the system user {SystemdUnit.User} (run as root, or create it yourself)");
        return 1;
    }

    internal static int Run(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 127;
        }
    }

    private static void WriteDesktopLauncher(string hostname, string exec)
    {
        var dir = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "applications");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"tunnelactors-access-{hostname}.desktop");
        File.WriteAllText(path, $"""
            [Desktop Entry]
            Type=Application
            Name=Connect to {hostname}
            Comment=Reach {hostname} through TunnelActors (signs you in when needed)
            Exec={exec.Replace(" --no-browser", "")}
            Terminal=true
            Categories=Network;

            """);
        Console.WriteLine($"Wrote {path}");
    }

    /// <summary>Runs systemctl; null on success, else the exit code to return (with the reason printed).</summary>
    private static int? Systemctl(params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("systemctl", args) { RedirectStandardError = true })!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode == 0) return null;
            Console.Error.WriteLine($"error: systemctl {string.Join(' ', args)} failed: {error.Trim()} (is systemd running? --no-enable only writes the unit)");
            return 1;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("error: systemctl not found; use --no-enable to only write the unit");
            return 1;
        }
    }
}
