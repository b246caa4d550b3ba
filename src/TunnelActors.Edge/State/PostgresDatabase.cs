using System.Data.Common;
using Npgsql;

namespace TunnelActors.Edge.State;

/// <summary>PostgreSQL shared by every edge of a cluster (Npgsql pools connections per data source).</summary>
public sealed class PostgresDatabase : Database
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string location)
    {
        var builder = new NpgsqlConnectionStringBuilder(ToConnectionString(location)) { Timeout = 10, CommandTimeout = 15 };
        Description = $"PostgreSQL {builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    // Edges starting together would race on CREATE TABLE IF NOT EXISTS (a unique violation in
    // pg_type): a transaction-scoped advisory lock serialises them; a batch is one transaction.
    public override void EnsureSchema(string ddl) => Execute("SELECT pg_advisory_xact_lock(7354001);\n" + ddl);

    public static bool Accepts(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || location.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    public override string Description { get; }
    public override string AutoIncrementKey => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
    public override string Bytes => "BYTEA";

    protected override DbConnection Connect() => _dataSource.OpenConnection();

    /// <summary>postgres://user:password@host:port/database?sslmode=... as Npgsql keywords.</summary>
    private static string ToConnectionString(string location)
    {
        if (!location.Contains("://", StringComparison.Ordinal)) return location;
        var uri = new Uri(location);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } db ? Uri.UnescapeDataString(db) : "postgres",
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0) builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length == 2) builder.Password = Uri.UnescapeDataString(userInfo[1]);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = pair.Split('=', 2) is [var k, var v] ? (k, Uri.UnescapeDataString(v)) : (pair, "");
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }
        return builder.ConnectionString;
    }
}
