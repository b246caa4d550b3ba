using Microsoft.Data.Sqlite;

namespace TunnelActors.Edge.State;

/// <summary>A hostname route: which zone it belongs to and which connector registered it first.</summary>
public sealed record HostnameRoute(string Hostname, string Zone, string ConnectorId, DateTimeOffset CreatedAt);

/// <summary>
/// Durable control-plane state in SQLite (the embedded single-node default): service tokens
/// (secret hashes only) and hostname routes. One short-lived connection per call keeps it
/// safe to use from any thread.
/// </summary>
public sealed class EdgeStore
{
    private readonly string _connectionString;

    public EdgeStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        Execute("""
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS service_tokens (
                client_id TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS routes (
                hostname TEXT PRIMARY KEY, zone TEXT NOT NULL, connector_id TEXT NOT NULL, created_at TEXT NOT NULL);
            """);
    }

    public void AddServiceToken(string clientId, byte[] secretHash, string name) =>
        Execute("INSERT OR REPLACE INTO service_tokens VALUES ($id, $hash, $name, $now)",
            ("$id", clientId), ("$hash", secretHash), ("$name", name), ("$now", DateTimeOffset.UtcNow.ToString("O")));

    /// <summary>The stored secret hash for a client id, or null when there is no such token.</summary>
    public byte[]? FindServiceTokenHash(string clientId)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT secret_sha256 FROM service_tokens WHERE client_id = $id", ("$id", clientId));
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>Records the route on first registration; returns the route as stored.</summary>
    public HostnameRoute EnsureRoute(string hostname, string zone, string connectorId)
    {
        Execute("INSERT OR IGNORE INTO routes VALUES ($host, $zone, $connector, $now)",
            ("$host", hostname), ("$zone", zone), ("$connector", connectorId), ("$now", DateTimeOffset.UtcNow.ToString("O")));
        return FindRoute(hostname)!;
    }

    public HostnameRoute? FindRoute(string hostname)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT hostname, zone, connector_id, created_at FROM routes WHERE hostname = $host", ("$host", hostname));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new HostnameRoute(reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3)))
            : null;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }
}
