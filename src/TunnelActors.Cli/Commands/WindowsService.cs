using System.Runtime.Versioning;
using TunnelActors.Access;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// `service install|uninstall` on Windows: runs the `sc.exe` calls of
/// <see cref="WindowsServiceRegistration"/>, registers the event log source the role logs under,
/// and keeps the state in %ProgramData%\tunnelactors, closed by ACL to all but SYSTEM,
/// Administrators and the service's LocalService account.
/// </summary>
[SupportedOSPlatform("windows")]
public static class WindowsService
{
    public static int Install(string name, string displayName, IReadOnlyList<string> command, string role)
    {
        // The role logs to the Application log under tunnelactors-<role>; creating a source needs the administrator running this.
        var source = $"tunnelactors-{role}";
        if (!System.Diagnostics.EventLog.SourceExists(source)) System.Diagnostics.EventLog.CreateEventSource(source, "Application");
        foreach (var call in WindowsServiceRegistration.Install(name, displayName, $"Keeps {displayName} running (TunnelActors)", command))
        {
            if (ServiceCommand.Run("sc.exe", call) is var code and not 0)
            {
                Console.Error.WriteLine($"error: sc.exe {call[0]} {name} failed with {code} (run from an administrator prompt)");
                return 1;
            }
        }
        Console.WriteLine($"Installed and started the Windows service {name} (automatic start, restarted on failure, logs in the Application event log as {source})");
        return 0;
    }

    public static int Uninstall(string name)
    {
        var calls = WindowsServiceRegistration.Uninstall(name);
        ServiceCommand.Run("sc.exe", calls[0]); // already stopped is fine
        if (ServiceCommand.Run("sc.exe", calls[1]) is var code and not 0)
        {
            Console.Error.WriteLine($"error: sc.exe delete {name} failed with {code} (is it installed? run from an administrator prompt)");
            return 1;
        }
        Console.WriteLine($"Removed the Windows service {name}");
        return 0;
    }

    /// <summary>%ProgramData%\tunnelactors: owner-only ACL (as the edge keeps its data directory), plus the service account.</summary>
    public static void PrepareStateDirectory(string directory)
    {
        SecretDirectory.Ensure(directory);
        FileProtection.ForThisSystem.Restrict(directory);
        WindowsFileProtection.Grant(directory, WindowsAcl.LocalService);
    }
}
