using System.CommandLine;
using System.Diagnostics;
using System.Reflection;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// `tunnelactors service install|uninstall`: keeps a connector (or an `access tcp` client) alive
/// across crashes and reboots with a systemd unit (Restart=on-failure), as the SMB walkthrough
/// asks; `--desktop` also writes a launcher for the access client.
/// </summary>
public static class ServiceCommand
{
    public static Command Create()
    {
        var service = new Command("service", "Run a connector or access client as a systemd service");
        service.Subcommands.Add(Install());
        service.Subcommands.Add(Uninstall());
        return service;
    }

    private static Command Install()
    {
        var role = new Argument<string>("role") { Description = "tunnel (the connector) or access (an access tcp client)" };
        role.AcceptOnlyFromAmong("tunnel", "access");
        var hostname = CommonOptions.Hostname("Hostname the service is for");
        var url = new Option<string>("--url") { Description = "tunnel: tcp://host:port of the service; access: local listen address", Required = true };
        var extra = new Option<string[]>("--arg") { Description = "Further flag for the command, e.g. --arg=--edge=https://edge.example.com (repeat)", AllowMultipleArgumentsPerToken = true };
        var unitDir = UnitDir();
        var noEnable = new Option<bool>("--no-enable") { Description = "Only write the unit; do not run systemctl" };
        var desktop = new Option<bool>("--desktop") { Description = "access: also write a desktop launcher (~/.local/share/applications)" };
        var command = new Command("install", "Write and enable a systemd unit that restarts on failure and starts at boot")
        {
            role, hostname, url, extra, unitDir, noEnable, desktop,
        };
        command.SetAction(result =>
        {
            var (kind, host) = (result.GetValue(role)!, result.GetValue(hostname)!.ToLowerInvariant());
            string[] args = kind == "tunnel"
                ? ["tunnel", "--hostname", host, "--url", result.GetValue(url)!, .. result.GetValue(extra) ?? []]
                : ["access", "tcp", "--hostname", host, "--url", result.GetValue(url)!, "--no-browser", .. result.GetValue(extra) ?? []];
            var exec = string.Join(' ', SelfCommand().Concat(args).Select(Quote));
            var name = UnitName(kind, host);
            var path = Path.Combine(result.GetValue(unitDir)!, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"""
                [Unit]
                Description=TunnelActors {(kind == "tunnel" ? "connector" : "access client")} for {host}
                Wants=network-online.target
                After=network-online.target

                [Service]
                ExecStart={exec}
                Restart=on-failure
                RestartSec=5s
                # The connector drains on SIGTERM within its grace period (default 30 s).
                TimeoutStopSec=60s
                KillSignal=SIGTERM

                [Install]
                WantedBy=multi-user.target

                """);
            Console.WriteLine($"Wrote {path}");
            if (kind == "access" && result.GetValue(desktop)) WriteDesktopLauncher(host, exec);
            if (!result.GetValue(noEnable)) return Systemctl("daemon-reload") ?? Systemctl("enable", "--now", name) ?? 0;
            Console.WriteLine($"Enable it with: systemctl daemon-reload && systemctl enable --now {name}");
            return 0;
        });
        return command;
    }

    private static Command Uninstall()
    {
        var role = new Argument<string>("role") { Description = "tunnel or access" };
        role.AcceptOnlyFromAmong("tunnel", "access");
        var hostname = CommonOptions.Hostname("Hostname the service is for");
        var unitDir = UnitDir();
        var noEnable = new Option<bool>("--no-enable") { Description = "Only remove the unit; do not run systemctl" };
        var command = new Command("uninstall", "Stop, disable and remove the systemd unit") { role, hostname, unitDir, noEnable };
        command.SetAction(result =>
        {
            var name = UnitName(result.GetValue(role)!, result.GetValue(hostname)!.ToLowerInvariant());
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

    public static string UnitName(string role, string hostname) => $"tunnelactors-{role}-{hostname}.service";

    /// <summary>How to start this same binary again: the apphost, or `dotnet tunnelactors.dll`.</summary>
    private static IEnumerable<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "tunnelactors";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, Assembly.GetEntryAssembly()!.Location] : [process];
    }

    private static string Quote(string arg) => arg.Any(c => char.IsWhiteSpace(c) || c is '"' or '\\' or '%')
        ? "\"" + arg.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%") + "\""
        : arg;

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
