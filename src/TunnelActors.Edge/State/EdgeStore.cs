using TunnelActors.Access.Tokens;

namespace TunnelActors.Edge.State;

/// <summary>
/// A hostname route: its zone and the tunnel serving it — <paramref name="TunnelId"/> is the
/// tunnel's routing key: a named tunnel's id, or for a quick tunnel its hostname (column
/// connector_id, named before named tunnels existed).
/// </summary>
public sealed record HostnameRoute(string Hostname, string Zone, string TunnelId, DateTimeOffset CreatedAt);

/// <summary>
/// Durable control-plane state: hostname routes, the
/// Access signing keys and the cluster's shared secrets (edge CA, peer and admin tokens).
/// </summary>
public sealed class EdgeStore : ISigningKeyStore
{
    private readonly Database _db;

    public EdgeStore(Database db)
    {
        _db = db;
        _db.EnsureSchema($"""
            CREATE TABLE IF NOT EXISTS routes (
                hostname TEXT PRIMARY KEY, zone TEXT NOT NULL, connector_id TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS signing_keys (
                kid TEXT PRIMARY KEY, private_key_pem TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS cluster_secrets (
                name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TEXT NOT NULL);
            """);
    }

    public Database Database => _db;

    /// <summary>Records the route on first registration; returns the route as stored.</summary>
    public HostnameRoute EnsureRoute(string hostname, string zone, string connectorId)
    {
        _db.Execute("INSERT INTO routes VALUES (@host, @zone, @connector, @now) ON CONFLICT (hostname) DO NOTHING",
            ("@host", hostname), ("@zone", zone), ("@connector", connectorId), ("@now", Now()));
        return FindRoute(hostname)!;
    }

    /// <summary>
    /// Routes <paramref name="hostname"/> to <paramref name="tunnelId"/> (`tunnel route dns`). A
    /// hostname already routed elsewhere moves only with <paramref name="overwrite"/>; returns the
    /// route as stored.
    /// </summary>
    public HostnameRoute RouteTo(string hostname, string zone, string tunnelId, bool overwrite)
    {
        _db.Execute(overwrite
                ? "INSERT INTO routes VALUES (@host, @zone, @tunnel, @now) ON CONFLICT (hostname) DO UPDATE SET zone = excluded.zone, connector_id = excluded.connector_id, created_at = excluded.created_at"
                : "INSERT INTO routes VALUES (@host, @zone, @tunnel, @now) ON CONFLICT (hostname) DO NOTHING",
            ("@host", hostname), ("@zone", zone), ("@tunnel", tunnelId), ("@now", Now()));
        return FindRoute(hostname)!;
    }

    public HostnameRoute? FindRoute(string hostname) =>
        _db.Query("SELECT hostname, zone, connector_id, created_at FROM routes WHERE hostname = @host",
            r => new HostnameRoute(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3))),
            ("@host", hostname)).FirstOrDefault();

    /// <summary>
    /// The cluster-wide secret <paramref name="name"/>: the first edge to ask stores
    /// <paramref name="create"/>'s value, every edge after it (and every restart) reads that one.
    /// </summary>
    public string SharedSecret(string name, Func<string> create)
    {
        _db.Execute("INSERT INTO cluster_secrets VALUES (@name, @value, @now) ON CONFLICT (name) DO NOTHING",
            ("@name", name), ("@value", create()), ("@now", Now()));
        return (string)_db.Scalar("SELECT value FROM cluster_secrets WHERE name = @name", ("@name", name))!;
    }

    public IReadOnlyList<StoredSigningKey> LoadSigningKeys() =>
        _db.Query("SELECT kid, private_key_pem, created_at FROM signing_keys",
            r => new StoredSigningKey(r.GetString(0), r.GetString(1), DateTimeOffset.Parse(r.GetString(2))));

    public void SaveSigningKey(StoredSigningKey key) =>
        _db.Execute("INSERT INTO signing_keys VALUES (@kid, @pem, @at)", ("@kid", key.KeyId), ("@pem", key.PrivateKeyPem), ("@at", key.CreatedAt.ToString("O")));

    public void DeleteSigningKey(string keyId) => _db.Execute("DELETE FROM signing_keys WHERE kid = @kid", ("@kid", keyId));

    private static string Now() => DateTimeOffset.UtcNow.ToString("O");
}
