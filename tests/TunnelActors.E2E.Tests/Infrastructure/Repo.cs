namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>Finds the repository and the built `tunnelactors` binary the tests run.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>tunnelactors.dll built in the same configuration as these tests (or $TUNNELACTORS_CLI).</summary>
    public static string CliDll
    {
        get
        {
            if (Environment.GetEnvironmentVariable("TUNNELACTORS_CLI") is { Length: > 0 } overridden) return overridden;
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0/
            var path = Path.Combine(Root, "src", "TunnelActors.Cli", "bin", configuration, "net10.0", "tunnelactors.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"build the CLI first: {path} is missing");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TunnelActors.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("TunnelActors.sln not found above " + AppContext.BaseDirectory);
    }
}
