namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>A real PostgreSQL on a loopback high port, started by the project's fixture script.</summary>
public sealed class Postgres : IAsyncDisposable
{
    private Postgres(string stateDir, string url) => (StateDir, Url) = (stateDir, url);

    public string StateDir { get; }

    /// <summary>postgres://user:password@127.0.0.1:port/postgres, as `edge --database` takes it.</summary>
    public string Url { get; }

    public static async Task<Postgres> StartAsync()
    {
        // Directly under /tmp: the postgres account must reach it (test temp dirs are 0700 root).
        var stateDir = Path.Combine(Path.GetTempPath(), $"tunnelactors-pg-{Guid.NewGuid():N}");
        var (exit, output) = await Tool.Run("bash", [Script("start-postgres.sh"), stateDir, Ports.Free().ToString()], TimeSpan.FromSeconds(90));
        if (exit != 0) throw new InvalidOperationException($"PostgreSQL did not start (exit {exit}):\n{output}");
        return new Postgres(stateDir, output.Trim().Split('\n').Last().Trim());
    }

    public async ValueTask DisposeAsync() =>
        await Tool.Run("bash", [Script("stop-postgres.sh"), StateDir], TimeSpan.FromSeconds(60));

    private static string Script(string name) => Path.Combine(Repo.Root, "tests", "fixtures", "postgres", name);
}
