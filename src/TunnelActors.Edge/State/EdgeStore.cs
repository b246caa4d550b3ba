using TunnelActors.Access.Tokens;

namespace TunnelActors.Edge.State;

/// <summary>A hostname route: which zone it belongs to and which connector registered it first.</summary>
public sealed record HostnameRoute(string Hostname, string Zone, string ConnectorId, DateTimeOffset CreatedAt);

/// <summary>
/// Durable control-plane state in SQLite (the embedded single-node default): service tokens
/// (secret hashes only), hostname routes and the Access signing keys.
/// </summary>
public sealed class EdgeStore : ISigningKeyStore
{
    private readonly Sqlite _db;

    public EdgeStore(string path)
    {
        _db = new Sqlite(path);
        _db.Execute("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS service_tokens (
                client_id TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS routes (
                hostname TEXT PRIMARY KEY, zone TEXT NOT NULL, connector_id TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS signing_keys (
                kid TEXT PRIMARY KEY, private_key_pem TEXT NOT NULL, created_at TEXT NOT NULL);
            """);
    }

    public Sqlite Database => _db;

    public void AddServiceToken(string clientId, byte[] secretHash, string name) =>
        _db.Execute("INSERT OR REPLACE INTO service_tokens VALUES ($id, $hash, $name, $now)",
            ("$id", clientId), ("$hash", secretHash), ("$name", name), ("$now", DateTimeOffset.UtcNow.ToString("O")));

    /// <summary>The stored secret hash for a client id, or null when there is no such token.</summary>
    public byte[]? FindServiceTokenHash(string clientId) =>
        _db.Scalar("SELECT secret_sha256 FROM service_tokens WHERE client_id = $id", ("$id", clientId)) as byte[];

    /// <summary>Records the route on first registration; returns the route as stored.</summary>
    public HostnameRoute EnsureRoute(string hostname, string zone, string connectorId)
    {
        _db.Execute("INSERT OR IGNORE INTO routes VALUES ($host, $zone, $connector, $now)",
            ("$host", hostname), ("$zone", zone), ("$connector", connectorId), ("$now", DateTimeOffset.UtcNow.ToString("O")));
        return FindRoute(hostname)!;
    }

    public HostnameRoute? FindRoute(string hostname) =>
        _db.Query("SELECT hostname, zone, connector_id, created_at FROM routes WHERE hostname = $host",
            r => new HostnameRoute(r.GetString(0), r.GetString(1), r.GetString(2), DateTimeOffset.Parse(r.GetString(3))),
            ("$host", hostname)).FirstOrDefault();

    public IReadOnlyList<StoredSigningKey> LoadSigningKeys() =>
        _db.Query("SELECT kid, private_key_pem, created_at FROM signing_keys",
            r => new StoredSigningKey(r.GetString(0), r.GetString(1), DateTimeOffset.Parse(r.GetString(2))));

    public void SaveSigningKey(StoredSigningKey key) =>
        _db.Execute("INSERT INTO signing_keys VALUES ($kid, $pem, $at)", ("$kid", key.KeyId), ("$pem", key.PrivateKeyPem), ("$at", key.CreatedAt.ToString("O")));

    public void DeleteSigningKey(string keyId) => _db.Execute("DELETE FROM signing_keys WHERE kid = $kid", ("$kid", keyId));
}
