namespace TunnelActors.Cli.Commands;

/// <summary>
/// `service install|uninstall` with systemd: edge and connector as hardened system units run by
/// the `tunnelactors` user (<see cref="SystemdUnit"/>), an access client as the person's own
/// user unit (their home, their cached sign-in). A quick tunnel's origin certificate is copied to
/// /etc/tunnelactors/HOSTNAME.pem, 0600 and owned by the service user, in a directory only root writes.
/// </summary>
internal static class LinuxService
{
    private const string ConfigDirectory = "/etc/tunnelactors";

    public static int Install(ServiceSpec service, IReadOnlyList<string> executable, string certificate, string? unitDir, bool noEnable, bool desktop)
    {
        var userUnit = service.Role == "access";
        var serviceCert = Path.Combine(ConfigDirectory, $"{service.Hostname}.pem");
        var certArg = service.QuickTunnel ? new[] { "--origincert", serviceCert } : [];
        var unit = new SystemdUnit(service.Description, [.. executable, .. service.Arguments, .. certArg],
            BindsPrivilegedPort: service.Role == "edge",
            EnvironmentFile: userUnit ? $"%h/.config/tunnelactors/{service.Name}.env" : $"{ConfigDirectory}/{service.Name}.env");
        if (!userUnit && (executable[^1].StartsWith("/home/", StringComparison.Ordinal) || executable[^1].StartsWith("/root/", StringComparison.Ordinal)))
            Console.Error.WriteLine($"warning: the unit runs {executable[^1]}, which ProtectHome=yes hides from it: install the binary under /usr/local/bin (or the .deb) and pass --binary");
        if (service.QuickTunnel && !noEnable && !File.Exists(certificate))
            throw new FileNotFoundException($"origin certificate {certificate} not found: run `tunnelactors tunnel login` first, or pass --origincert");

        var path = Path.Combine(unitDir ?? DefaultUnitDir(userUnit), service.Name + ".service");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, userUnit ? unit.RenderForUser() : unit.Render());
        Console.WriteLine($"Wrote {path}");
        Console.WriteLine(userUnit
            ? $"It runs as you, started with your session; secrets (TUNNEL_SERVICE_TOKEN_SECRET) go in {unit.EnvironmentFile.Replace("%h", "~")} (0600)."
            : $"It runs as the user {SystemdUnit.User} with its state in {SystemdUnit.StateDirectory} (0700); files it reads (--ca-file, credentials) belong under {ConfigDirectory}, readable by {SystemdUnit.User}, and secrets in {unit.EnvironmentFile} (0600).");
        if (userUnit && desktop) WriteDesktopLauncher(service.Hostname!, string.Join(' ', unit.Command.Select(SystemdUnit.Quote)));
        string[] systemctl = userUnit ? ["--user"] : [];
        if (noEnable)
        {
            if (service.QuickTunnel) Console.WriteLine($"Copy the origin certificate to {serviceCert} (0600, owned by {SystemdUnit.User}) before enabling it.");
            var command = string.Join(' ', ["systemctl", .. systemctl]);
            Console.WriteLine($"Enable it with: {command} daemon-reload && {command} enable --now {service.Name}");
            return 0;
        }
        if (!userUnit && EnsureUser() is { } failed) return failed;
        if (service.QuickTunnel) CopyCertificate(certificate, serviceCert);
        return Systemctl([.. systemctl, "daemon-reload"]) ?? Systemctl([.. systemctl, "enable", "--now", service.Name]) ?? 0;
    }

    public static int Uninstall(string name, bool userUnit, string? unitDir, bool noEnable)
    {
        string[] systemctl = userUnit ? ["--user"] : [];
        if (!noEnable) Systemctl([.. systemctl, "disable", "--now", name]);
        var path = Path.Combine(unitDir ?? DefaultUnitDir(userUnit), name + ".service");
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"error: {path} does not exist");
            return 1;
        }
        File.Delete(path);
        Console.WriteLine($"Removed {path}");
        return 0;
    }

    private static string DefaultUnitDir(bool userUnit) => userUnit
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "systemd", "user")
        : "/etc/systemd/system";

    /// <summary>
    /// Into a directory only root writes, never through a link: an existing file is unlinked and the copy
    /// created exclusively (O_EXCL does not follow links), 0600, then handed to the service user.
    /// </summary>
    private static void CopyCertificate(string source, string target)
    {
        Directory.CreateDirectory(ConfigDirectory);
        File.Delete(target);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var from = File.OpenRead(source))
        using (var to = new FileStream(target, options))
            from.CopyTo(to);
        if (Processes.Run("chown", ["-h", $"{SystemdUnit.User}:{SystemdUnit.User}", target], out var error) != 0)
            throw new IOException($"chown {target} failed: {error}");
        Console.WriteLine($"Copied the origin certificate to {target} (0600, owned by {SystemdUnit.User})");
    }

    /// <summary>Creates the system user the units run as, unless it exists; null on success.</summary>
    private static int? EnsureUser()
    {
        if (Processes.Run("id", "-u", SystemdUnit.User) == 0) return null;
        if (Processes.Run("useradd", "--system", "--user-group", "--home-dir", SystemdUnit.StateDirectory, "--no-create-home", "--shell", "/usr/sbin/nologin", SystemdUnit.User) == 0) return null;
        Console.Error.WriteLine($"error: could not create the system user {SystemdUnit.User} (run as root, or create it yourself)");
        return 1;
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
    private static int? Systemctl(string[] args)
    {
        var code = Processes.Run("systemctl", args, out var error);
        if (code == 0) return null;
        Console.Error.WriteLine(code == 127
            ? "error: systemctl not found; use --no-enable to only write the unit"
            : $"error: systemctl {string.Join(' ', args)} failed: {error} (is systemd running? --no-enable only writes the unit)");
        return 1;
    }
}
