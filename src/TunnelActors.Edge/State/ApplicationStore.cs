namespace TunnelActors.Edge.State;

/// <summary>
/// Access applications created through the admin API, persisted in the database as the JSON
/// the operator sent (validated by the same parser as the YAML configuration).
/// </summary>
public sealed class ApplicationStore
{
    private readonly Database _db;

    public ApplicationStore(Database db)
    {
        _db = db;
        _db.EnsureSchema("CREATE TABLE IF NOT EXISTS applications (name TEXT PRIMARY KEY, definition TEXT NOT NULL, updated_at TEXT NOT NULL)");
    }

    public IReadOnlyList<(string Name, string Definition)> All() =>
        _db.Query("SELECT name, definition FROM applications ORDER BY name", r => (r.GetString(0), r.GetString(1)));

    public void Put(string name, string definition) =>
        _db.Execute("""
            INSERT INTO applications VALUES (@name, @definition, @now)
            ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at
            """, ("@name", name), ("@definition", definition), ("@now", DateTimeOffset.UtcNow.ToString("O")));

    public bool Delete(string name)
    {
        var existed = Convert.ToInt64(_db.Scalar("SELECT COUNT(*) FROM applications WHERE name = @name", ("@name", name))) > 0;
        _db.Execute("DELETE FROM applications WHERE name = @name", ("@name", name));
        return existed;
    }
}
