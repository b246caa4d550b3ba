using System.Runtime.Versioning;
using TunnelActors.Access;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// `service install|uninstall` on Windows: registers the service with the `sc.exe` calls of
/// <see cref="WindowsServiceRegistration"/>, registers the event log source the role logs under,
/// keeps its state in %ProgramData%\tunnelactors — closed by ACL to SYSTEM, Administrators and the
/// service's own SID (NT SERVICE\NAME), not to every LocalService service — then starts it.
/// </summary>
[SupportedOSPlatform("windows")]
internal static class WindowsService
{
    private static string StateDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "tunnelactors");

    public static int Install(ServiceSpec service, IReadOnlyList<string> executable, string certificate)
    {
        if (service.Role == "edge") throw new ArgumentException("the edge runs on Linux (the .deb or `service install edge` there); on Windows, install tunnel or access");
        if (service.QuickTunnel && !File.Exists(certificate))
            throw new FileNotFoundException($"origin certificate {certificate} not found: run `tunnelactors tunnel login` first, or pass --origincert");
        var source = $"tunnelactors-{service.Role}";
        try
        {
            // The role logs to the Application log under this source; only an administrator may create it.
            if (!System.Diagnostics.EventLog.SourceExists(source)) System.Diagnostics.EventLog.CreateEventSource(source, "Application");
        }
        catch (Exception e) when (e is System.Security.SecurityException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: cannot register the event log source {source} ({e.Message}): run from an administrator prompt");
            return 1;
        }

        var serviceCert = Path.Combine(StateDirectory, $"{service.Hostname}.pem");
        string[] extra = service.QuickTunnel ? ["--origincert", serviceCert] : [];
        var command = new List<string>([.. executable, .. service.Arguments, .. extra]);
        foreach (var call in WindowsServiceRegistration.Register(service.Name, service.Description, $"Keeps the {service.Description} running", command))
            if (Sc(call) is { } failed) return failed;

        // The directory (and the certificate copied into it) admits this service alone, by its service SID.
        SecretDirectory.Ensure(StateDirectory);
        FileProtection.ForThisSystem.Restrict(StateDirectory);
        WindowsFileProtection.Grant(StateDirectory, WindowsServiceRegistration.ServiceAccount(service.Name));
        if (service.QuickTunnel)
        {
            File.Copy(certificate, serviceCert, overwrite: true); // inherits the directory's ACL
            Console.WriteLine($"Copied the origin certificate to {serviceCert}");
        }
        if (Sc(WindowsServiceRegistration.Start(service.Name)) is { } notStarted) return notStarted;
        Console.WriteLine($"Installed and started the Windows service {service.Name} (automatic start, restarted on failure, logs in the Application event log as {source})");
        return 0;
    }

    public static int Uninstall(string name)
    {
        var calls = WindowsServiceRegistration.Unregister(name);
        Processes.Run("sc.exe", calls[0]); // already stopped is fine
        if (Sc(calls[1]) is { } failed) return failed;
        Console.WriteLine($"Removed the Windows service {name}");
        return 0;
    }

    private static int? Sc(string[] call)
    {
        var code = Processes.Run("sc.exe", call, out var error);
        if (code == 0) return null;
        Console.Error.WriteLine($"error: sc.exe {call[0]} {call[1]} failed with {code}: {error} (run from an administrator prompt)");
        return 1;
    }
}
