using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.WindowsServices;
using Microsoft.Extensions.Logging;

namespace TunnelActors.Transport.Hosting;

/// <summary>
/// A role started by the Windows Service Control Manager (`service install` on Windows) runs
/// with the service lifetime — start, stop and shutdown come from the SCM, and a stop drains
/// like SIGTERM — and logs to the Application event log under its service name. Started any
/// other way, and on every other system, this changes nothing.
/// </summary>
public static class RoleService
{
    public static IServiceCollection AddRoleService(this IServiceCollection services, string serviceName)
    {
        services.AddWindowsService(options => options.ServiceName = serviceName);
        if (OperatingSystem.IsWindows() && WindowsServiceHelpers.IsWindowsService()) AddEventLog(services, serviceName);
        return services;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static void AddEventLog(IServiceCollection services, string source) =>
        services.AddLogging(logging => logging.AddEventLog(settings => settings.SourceName = source));
}
