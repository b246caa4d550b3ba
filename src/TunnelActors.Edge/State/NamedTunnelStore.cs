namespace TunnelActors.Edge.State;

/// <summary>A named tunnel (cloudflared's `tunnel create`): its id is also its routing key.</summary>
public sealed record NamedTunnel(string Id, string Name, string Zone, DateTimeOffset CreatedAt);

/// <summary>
/// Named tunnels and the hostnames routed to them. A tunnel's secret is kept only as a
/// SHA-256 hash: the credentials file holds the secret, the edge compares hashes in constant
/// time. A hostname's route names the tunnel id that serves it (for quick tunnels the
/// hostname itself), so one table routes both kinds.
/// </summary>
public sealed class NamedTunnelStore
{
    private readonly Database _db;

    public NamedTunnelStore(Database db)
    {
        _db = db;
        _db.EnsureSchema($"""
            CREATE TABLE IF NOT EXISTS named_tunnels (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, zone TEXT NOT NULL, secret_sha256 {db.Bytes} NOT NULL, created_at TEXT NOT NULL,
                UNIQUE (zone, name));
            """);
    }

    /// <summary>Creates a tunnel; false when its zone already has one of that name (the unique key keeps the first).</summary>
    public bool Create(NamedTunnel tunnel, byte[] secretHash)
    {
        _db.Execute("INSERT INTO named_tunnels VALUES (@id, @name, @zone, @hash, @at) ON CONFLICT DO NOTHING",
            ("@id", tunnel.Id), ("@name", tunnel.Name), ("@zone", tunnel.Zone), ("@hash", secretHash), ("@at", tunnel.CreatedAt.ToString("O")));
        return Find(tunnel.Zone, tunnel.Name)?.Id == tunnel.Id;
    }

    /// <summary>The tunnel of <paramref name="zone"/> with this name or id.</summary>
    public NamedTunnel? Find(string zone, string nameOrId) =>
        _db.Query(SelectTunnels + " WHERE zone = @zone AND (name = @key OR id = @key)", Map,
            ("@zone", zone), ("@key", nameOrId)).FirstOrDefault();

    public NamedTunnel? FindById(string id) =>
        _db.Query(SelectTunnels + " WHERE id = @id", Map, ("@id", id)).FirstOrDefault();

    public byte[]? SecretHash(string id) =>
        _db.Scalar("SELECT secret_sha256 FROM named_tunnels WHERE id = @id", ("@id", id)) as byte[];

    public IReadOnlyList<NamedTunnel> InZone(string zone) =>
        _db.Query(SelectTunnels + " WHERE zone = @zone ORDER BY name", Map, ("@zone", zone));

    /// <summary>Deletes the tunnel and the routes to it.</summary>
    public void Delete(string id)
    {
        _db.Execute("DELETE FROM routes WHERE connector_id = @id", ("@id", id));
        _db.Execute("DELETE FROM named_tunnels WHERE id = @id", ("@id", id));
    }

    /// <summary>Hostnames routed to the tunnel.</summary>
    public IReadOnlyList<string> Hostnames(string id) =>
        _db.Query("SELECT hostname FROM routes WHERE connector_id = @id ORDER BY hostname", r => r.GetString(0), ("@id", id));

    /// <summary>Who serves <paramref name="route"/>, for messages: a named tunnel by name, else the quick tunnel's connector.</summary>
    public string OwnerOf(HostnameRoute route) =>
        FindById(route.TunnelId) is { } named ? $"tunnel {named.Name}" : $"the quick tunnel of connector {route.TunnelId}";

    private const string SelectTunnels = "SELECT id, name, zone, created_at FROM named_tunnels";

    private static NamedTunnel Map(System.Data.Common.DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3)));
}
