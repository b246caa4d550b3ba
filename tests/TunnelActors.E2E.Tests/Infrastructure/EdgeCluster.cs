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
        // Every edge lists all edges as seeds: a restarted first seed then rejoins the others
        // instead of founding a second cluster on its own.
        var seeds = clusterPorts.SelectMany(p => new[] { "--seed-node", $"akka.tcp://tunnelactors@127.0.0.1:{p}" }).ToArray();
        var edges = new List<EdgeRig>();
        try
        {
            // The first edge founds the cluster (no other seed answers it) and creates the shared secrets.
            for (var i = 0; i < size; i++)
                edges.Add(await EdgeRig.StartAsync(extra:
                [
                    "--database", database.Url, "--cluster-port", clusterPorts[i].ToString(), .. seeds,
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
