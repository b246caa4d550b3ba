using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace TunnelActors.Edge.State;

/// <summary>One SQLite file in the data directory: the single-edge default.</summary>
public sealed class SqliteDatabase : Database
{
    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        Description = $"SQLite {path}";
        Execute("PRAGMA journal_mode = WAL");
    }

    public override string Description { get; }
    public override string AutoIncrementKey => "INTEGER PRIMARY KEY AUTOINCREMENT";
    public override string Bytes => "BLOB";

    // SQLite has no ADD COLUMN IF NOT EXISTS; one edge owns the file, so check-then-add does not race.
    public override void AddColumnIfMissing(string table, string column, string type)
    {
        if (Scalar($"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = @column", ("@column", column)) is 0L)
            Execute($"ALTER TABLE {table} ADD COLUMN {column} {type}");
    }

    protected override DbConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // WAL with synchronous=NORMAL: a commit is safe against a crash of the edge, and only the last
        // commits may be lost to a power cut. FULL cost an fsync per audit event: three per client
        // stream, most of a new connection's ~20 ms time to first byte.
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
