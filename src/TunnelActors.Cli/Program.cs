using System.CommandLine;
using TunnelActors.Cli.Commands;

var logFormat = new Option<string>("--log-format")
{
    Description = "Log output: text (default) or json (one object per event, with its fields)",
    Recursive = true,
    DefaultValueFactory = _ => "text",
};
logFormat.AcceptOnlyFromAmong("text", "json");
var root = new RootCommand("TunnelActors: reach private TCP services (SMB first) through a self-hosted zero-trust edge")
{
    EdgeCommand.Create(),
    TunnelCommand.Create(),
    AccessCommand.Create(),
    ServiceCommand.Create(),
    logFormat,
};
TunnelActors.Cli.BuildInfo.UseFor(root);
var parsed = root.Parse(args);
Environment.SetEnvironmentVariable(TunnelActors.Transport.Hosting.RoleDefaults.LogFormatVariable, parsed.GetValue(logFormat));

try
{
    // The hosts handle SIGTERM/SIGINT themselves (drain, graceful stop): the parser must not.
    return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or FileNotFoundException
    or TunnelActors.Access.Policies.AccessConfigException or TunnelActors.Origin.Ingress.TunnelConfigException or TunnelActors.Client.Tunnels.TunnelApiException
    or HttpRequestException or TunnelActors.Access.InsecureSecretException or TunnelActors.Access.Certificates.OriginCredentialException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
