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

    protected override DbConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }
}
