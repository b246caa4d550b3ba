namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>
/// Three edge processes in one Akka cluster sharing one PostgreSQL control plane, with the
/// fast failure-detection values meant for tests (production defaults are in the README).
/// </summary>
public sealed class EdgeCluster : IAsyncDisposable
{
    private EdgeCluster(Postgres database, IReadOnlyList<EdgeRig> edges) => (Database, Edges) = (database, edges);

    public Postgres Database { get; }
    public IReadOnlyList<EdgeRig> Edges { get; }

    public static async Task<EdgeCluster> StartAsync(int size = 3)
    {
        var database = await Postgres.StartAsync();
        var clusterPorts = Enumerable.Range(0, size).Select(_ => Ports.Free()).ToList();
        var seed = $"akka.tcp://tunnelactors@127.0.0.1:{clusterPorts[0]}";
        var edges = new List<EdgeRig>();
        try
        {
            // The first edge founds the cluster (it is its own seed) and creates the shared secrets.
            for (var i = 0; i < size; i++)
                edges.Add(await EdgeRig.StartAsync(extra:
                [
                    "--database", database.Url, "--cluster-port", clusterPorts[i].ToString(), "--seed-node", seed,
                    "--failure-detector-pause", "2s", "--down-unreachable-after", "2s",
                ]));
            return new EdgeCluster(database, edges);
        }
        catch
        {
            foreach (var edge in edges) await edge.DisposeAsync();
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var edge in Edges) await edge.DisposeAsync();
        await Database.DisposeAsync();
    }
}
