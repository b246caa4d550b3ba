using System.CommandLine;
using TunnelActors.Cli.Commands;

var root = new RootCommand("TunnelActors: reach private TCP services (SMB first) through a self-hosted zero-trust edge")
{
    EdgeCommand.Create(),
    TunnelCommand.Create(),
    AccessCommand.Create(),
};

try
{
    // The hosts handle SIGTERM/SIGINT themselves (drain, graceful stop): the parser must not.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or FileNotFoundException or TunnelActors.Access.Policies.AccessConfigException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
