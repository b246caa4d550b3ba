using System.Data.Common;

namespace TunnelActors.Edge.State;

/// <summary>One sign-in: the app token issued for it carries <see cref="Id"/> (claim <c>sid</c>).</summary>
public sealed record AccessSession(string Id, string Identity, string Application, string LoginMethod, string Source,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt, string? RevokeReason)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>
/// Every sign-in session, shared by the edges of a cluster: a revoked one is refused by every
/// edge at its next use. Sessions expired for a day are swept as new ones are recorded, so the
/// table holds what is live plus a day of history.
/// </summary>
public sealed class SessionStore
{
    // "Last used" is written at most this often per session: one write per connection would make every connection a database write.
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan KeepExpired = TimeSpan.FromDays(1);
    private const string Columns = "id, identity, application, login_method, source, issued_at, expires_at, last_used_at, revoked_at, revoke_reason";

    private readonly Database _db;

    public SessionStore(Database db)
    {
        _db = db;
        _db.EnsureSchema("""
            CREATE TABLE IF NOT EXISTS access_sessions (
                id TEXT PRIMARY KEY, identity TEXT NOT NULL, application TEXT NOT NULL, login_method TEXT NOT NULL, source TEXT NOT NULL,
                issued_at TEXT NOT NULL, expires_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT, revoke_reason TEXT);
            CREATE INDEX IF NOT EXISTS access_sessions_identity ON access_sessions (identity);
            CREATE INDEX IF NOT EXISTS access_sessions_expires ON access_sessions (expires_at);
            """);
    }

    public void Record(AccessSession session)
    {
        _db.Execute("DELETE FROM access_sessions WHERE expires_at < @cutoff", ("@cutoff", DbTime.Text(session.IssuedAt - KeepExpired)));
        _db.Execute($"INSERT INTO access_sessions ({Columns}) VALUES (@id, @identity, @app, @method, @source, @issued, @expires, NULL, NULL, NULL)",
            ("@id", session.Id), ("@identity", session.Identity), ("@app", session.Application), ("@method", session.LoginMethod),
            ("@source", session.Source), ("@issued", DbTime.Text(session.IssuedAt)), ("@expires", DbTime.Text(session.ExpiresAt)));
    }

    /// <summary>The session <paramref name="id"/> (null if unknown), noting that it was used at <paramref name="now"/>.</summary>
    public AccessSession? Use(string id, DateTimeOffset now)
    {
        var session = Find(id);
        // Written at most once a minute, and only then: no write transaction on every stream's path.
        if (session is not { RevokedAt: null } || session.LastUsedAt is { } used && used >= now - TouchInterval) return session;
        var touched = _db.Execute("UPDATE access_sessions SET last_used_at = @now WHERE id = @id AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < @stale)",
            ("@id", id), ("@now", DbTime.Text(now)), ("@stale", DbTime.Text(now - TouchInterval)));
        return touched == 1 ? session with { LastUsedAt = now } : Find(id); // revoked (or touched) meanwhile: read what is there now
    }

    public AccessSession? Find(string id) =>
        _db.Query($"SELECT {Columns} FROM access_sessions WHERE id = @id", Read, ("@id", id)).FirstOrDefault();

    /// <summary>Newest first; live ones (neither revoked nor expired at <paramref name="now"/>) unless <paramref name="all"/>.</summary>
    public IReadOnlyList<AccessSession> List(string? identity, string? application, bool all, DateTimeOffset now, int limit)
    {
        var (sql, parameters) = new FilteredQuery($"SELECT {Columns} FROM access_sessions")
            .Where("identity = @identity", "@identity", identity?.ToLowerInvariant())
            .Where("application = @app", "@app", application)
            .Where("revoked_at IS NULL AND expires_at > @now", "@now", all ? null : DbTime.Text(now))
            .Build("issued_at DESC", limit);
        return _db.Query(sql, Read, parameters);
    }

    /// <summary>Moves a live session's expiry to <paramref name="expiresAt"/> (a token issued later for it lives longer).</summary>
    public void Extend(string id, DateTimeOffset expiresAt) =>
        _db.Execute("UPDATE access_sessions SET expires_at = @expires WHERE id = @id AND revoked_at IS NULL AND expires_at < @expires",
            ("@id", id), ("@expires", DbTime.Text(expiresAt)));

    /// <summary>Revokes one session; the session as it now is, or null if there is none with that id.</summary>
    public AccessSession? Revoke(string id, string reason, DateTimeOffset now)
    {
        _db.Execute("UPDATE access_sessions SET revoked_at = @now, revoke_reason = @reason WHERE id = @id AND revoked_at IS NULL",
            ("@id", id), ("@now", DbTime.Text(now)), ("@reason", reason));
        return Find(id);
    }

    /// <summary>Revokes every live session of <paramref name="identity"/>; how many.</summary>
    public int RevokeIdentity(string identity, string reason, DateTimeOffset now) =>
        _db.Execute("UPDATE access_sessions SET revoked_at = @now, revoke_reason = @reason WHERE identity = @identity AND revoked_at IS NULL",
            ("@identity", identity.ToLowerInvariant()), ("@now", DbTime.Text(now)), ("@reason", reason));

    private static AccessSession Read(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        DbTime.Read(r, 5)!.Value, DbTime.Read(r, 6)!.Value, DbTime.Read(r, 7), DbTime.Read(r, 8), r.IsDBNull(9) ? null : r.GetString(9));
}
