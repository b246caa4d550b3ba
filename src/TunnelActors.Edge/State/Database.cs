using System.Data.Common;

namespace TunnelActors.Edge.State;

/// <summary>
/// The control-plane database: SQLite for a single edge (the embedded default), PostgreSQL
/// when several edges share state. A short-lived pooled connection per call, safe from any
/// thread. SQL is written once in the dialect both understand (`@name` parameters,
/// `ON CONFLICT` upserts); the few differences live in <see cref="AutoIncrementKey"/> and
/// <see cref="Bytes"/>.
/// </summary>
public abstract class Database
{
    /// <summary>
    /// Opens <paramref name="location"/>: a postgres:// (or postgresql://) URL, an Npgsql
    /// connection string (Host=...), or else a SQLite file path.
    /// </summary>
    public static Database Open(string location) =>
        PostgresDatabase.Accepts(location) ? new PostgresDatabase(location) : new SqliteDatabase(location);

    /// <summary>Where the data lives, safe to log (no password).</summary>
    public abstract string Description { get; }

    /// <summary>Column type of an auto-numbered primary key.</summary>
    public abstract string AutoIncrementKey { get; }

    /// <summary>Column type of a byte string.</summary>
    public abstract string Bytes { get; }

    protected abstract DbConnection Connect();

    /// <summary>Runs CREATE ... IF NOT EXISTS statements, safely when several edges start at once.</summary>
    public virtual void EnsureSchema(string ddl) => Execute(ddl);

    /// <summary>Adds a column a newer version needs to a table an older one created (no-op when it is there).</summary>
    public virtual void AddColumnIfMissing(string table, string column, string type) =>
        EnsureSchema($"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type}");

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Connect();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs one statement per parameter set, in one transaction: all of them or none.</summary>
    public void ExecuteEach(string sql, IEnumerable<(string Name, object? Value)[]> parameterSets)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        foreach (var parameters in parameterSets)
        {
            using var command = Command(connection, sql, parameters);
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Connect();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    public List<T> Query<T>(string sql, Func<DbDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        using var connection = Connect();
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }

    private static DbCommand Command(DbConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
