using TunnelActors.Access.Login;

namespace TunnelActors.Edge.State;

/// <summary>
/// Sign-in state in the control-plane database, so every edge of a cluster sees it. Take and
/// Attempt are single statements (DELETE/UPDATE ... RETURNING): two edges racing for one
/// entry cannot both win. Expired rows are swept as new ones are written.
/// </summary>
public sealed class DatabaseLoginState : ILoginStateStore
{
    private readonly Database _db;

    public DatabaseLoginState(Database db)
    {
        _db = db;
        _db.EnsureSchema("""
            CREATE TABLE IF NOT EXISTS login_state (
                kind TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, attempts BIGINT NOT NULL, expires_at TEXT NOT NULL,
                PRIMARY KEY (kind, id));
            CREATE INDEX IF NOT EXISTS login_state_expiry ON login_state (expires_at);
            """);
    }

    public bool Put(string kind, string id, string value, DateTimeOffset expiresAt, int limit, DateTimeOffset now)
    {
        if (!HasRoom(kind, limit, now)) return false;
        _db.Execute("""
            INSERT INTO login_state VALUES (@kind, @id, @value, 0, @expires)
            ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, attempts = 0, expires_at = excluded.expires_at
            """, ("@kind", kind), ("@id", id), ("@value", value), ("@expires", Time(expiresAt)));
        return true;
    }

    public bool Claim(string kind, string id, DateTimeOffset expiresAt, int limit, DateTimeOffset now, string value = "") =>
        HasRoom(kind, limit, now) && _db.Execute("INSERT INTO login_state VALUES (@kind, @id, @value, 0, @expires) ON CONFLICT (kind, id) DO NOTHING",
            ("@kind", kind), ("@id", id), ("@value", value), ("@expires", Time(expiresAt))) == 1;

    // Sweeps expired rows, then says whether kind holds fewer than limit live ones.
    private bool HasRoom(string kind, int limit, DateTimeOffset now)
    {
        _db.Execute("DELETE FROM login_state WHERE expires_at <= @now", ("@now", Time(now)));
        return Convert.ToInt64(_db.Scalar("SELECT COUNT(*) FROM login_state WHERE kind = @kind", ("@kind", kind))) < limit;
    }

    public string? Peek(string kind, string id, DateTimeOffset now) =>
        _db.Scalar("SELECT value FROM login_state WHERE kind = @kind AND id = @id AND expires_at > @now",
            ("@kind", kind), ("@id", id), ("@now", Time(now))) as string;

    public string? Take(string kind, string id, DateTimeOffset now) =>
        _db.Query("DELETE FROM login_state WHERE kind = @kind AND id = @id RETURNING value, expires_at",
                r => (Value: r.GetString(0), ExpiresAt: r.GetString(1)), ("@kind", kind), ("@id", id))
            .Where(row => string.CompareOrdinal(row.ExpiresAt, Time(now)) > 0)
            .Select(row => row.Value).FirstOrDefault();

    public (string Value, int Attempts)? Attempt(string kind, string id, DateTimeOffset now) =>
        _db.Query("UPDATE login_state SET attempts = attempts + 1 WHERE kind = @kind AND id = @id AND expires_at > @now RETURNING value, attempts",
                r => ((string Value, int Attempts)?)(r.GetString(0), Convert.ToInt32(r.GetValue(1))), ("@kind", kind), ("@id", id), ("@now", Time(now)))
            .FirstOrDefault();

    // Fixed-width UTC ISO 8601: compares correctly as text in both databases.
    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
}
