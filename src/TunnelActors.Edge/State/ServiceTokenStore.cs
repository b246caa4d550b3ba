using System.Data.Common;
using TunnelActors.Access.ServiceTokens;

namespace TunnelActors.Edge.State;

/// <summary>A service token as operators see it: never its secret, which is stored only as a hash.</summary>
public sealed record ServiceTokenRecord(string ClientId, string Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? PreviousSecretValidUntil, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>Whether a presented service token is good: the token, or why not (the same words for an unknown id and a wrong secret).</summary>
public sealed record ServiceTokenCheck(ServiceTokenRecord? Token, string? Refusal);

/// <summary>
/// Service tokens with a lifecycle, shared by the edges of a cluster: created with a name and
/// a lifetime, rotated (the previous secret stays valid for a stated overlap), revoked. Secrets
/// are stored as SHA-256 hashes and compared in constant time, against a dummy hash for
/// unknown ids too so that timing does not tell which ids exist.
/// </summary>
public sealed class ServiceTokenStore
{
    public const string Rejected = "service token rejected: unknown client id or wrong secret";
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);
    private const string Columns = "client_id, name, created_at, expires_at, previous_valid_until, revoked_at, last_used_at";

    private readonly Database _db;

    public ServiceTokenStore(Database db)
    {
        _db = db;
        _db.EnsureSchema($"""
            CREATE TABLE IF NOT EXISTS service_tokens (
                client_id TEXT PRIMARY KEY, secret_sha256 {db.Bytes} NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL);
            """);
        // Tokens of an older edge have none of these: no expiry, no previous secret, not revoked.
        foreach (var (column, type) in new[] { ("expires_at", "TEXT"), ("previous_secret_sha256", db.Bytes), ("previous_valid_until", "TEXT"),
                     ("revoked_at", "TEXT"), ("revoke_reason", "TEXT"), ("last_used_at", "TEXT") })
            _db.AddColumnIfMissing("service_tokens", column, type);
    }

    /// <summary>A new token named <paramref name="name"/>, valid for <paramref name="lifetime"/> (null: until revoked). The secret is shown only here.</summary>
    public (ServiceToken Token, ServiceTokenRecord Record) Create(string name, TimeSpan? lifetime, DateTimeOffset now)
    {
        var token = ServiceToken.Generate();
        _db.Execute("INSERT INTO service_tokens (client_id, secret_sha256, name, created_at, expires_at) VALUES (@id, @hash, @name, @now, @expires)",
            ("@id", token.ClientId), ("@hash", ServiceToken.HashSecret(token.ClientSecret)), ("@name", name), ("@now", DbTime.Text(now)),
            ("@expires", lifetime is { } l ? DbTime.Text(now + l) : null));
        return (token, Find(token.ClientId)!);
    }

    /// <summary>Stores a token generated elsewhere (the dev token written at first start).</summary>
    public void Add(ServiceToken token, string name, DateTimeOffset now) =>
        _db.Execute("INSERT INTO service_tokens (client_id, secret_sha256, name, created_at) VALUES (@id, @hash, @name, @now) ON CONFLICT (client_id) DO NOTHING",
            ("@id", token.ClientId), ("@hash", ServiceToken.HashSecret(token.ClientSecret)), ("@name", name), ("@now", DbTime.Text(now)));

    /// <summary>Checks a presented id and secret: the current secret, or the previous one within its overlap; never an expired or revoked token.</summary>
    public ServiceTokenCheck Check(string clientId, string secret, DateTimeOffset now)
    {
        var row = _db.Query($"SELECT {Columns}, secret_sha256, previous_secret_sha256, revoke_reason FROM service_tokens WHERE client_id = @id",
            r => (Record: Read(r), Current: (byte[])r[7], Previous: r.IsDBNull(8) ? null : (byte[])r[8], RevokeReason: r.IsDBNull(9) ? null : r.GetString(9)),
            ("@id", clientId)).FirstOrDefault();
        var dummy = new byte[32];
        var current = ServiceToken.SecretMatches(secret, row.Current ?? dummy);
        var previous = ServiceToken.SecretMatches(secret, row.Previous ?? dummy)
            && row.Record?.PreviousSecretValidUntil is { } until && until > now;
        if (row.Record is not { } token || !(current || previous)) return new ServiceTokenCheck(null, Rejected);
        // Only the holder of a valid secret learns that the token expired or was revoked.
        if (token.Revoked) return new ServiceTokenCheck(null, $"service token '{token.Name}' was revoked ({row.RevokeReason})");
        if (token.ExpiresAt is { } expires && expires <= now) return new ServiceTokenCheck(null, $"service token '{token.Name}' expired at {expires:u}");
        // Written at most once a minute, and only then: no write transaction on every stream's path.
        if (token.LastUsedAt is not { } used || used < now - TouchInterval)
            _db.Execute("UPDATE service_tokens SET last_used_at = @now WHERE client_id = @id AND (last_used_at IS NULL OR last_used_at < @stale)",
                ("@id", clientId), ("@now", DbTime.Text(now)), ("@stale", DbTime.Text(now - TouchInterval)));
        return new ServiceTokenCheck(token, null);
    }

    public ServiceTokenRecord? Find(string clientId) =>
        _db.Query($"SELECT {Columns} FROM service_tokens WHERE client_id = @id", Read, ("@id", clientId)).FirstOrDefault();

    public IReadOnlyList<ServiceTokenRecord> List() =>
        _db.Query($"SELECT {Columns} FROM service_tokens ORDER BY created_at", Read);

    /// <summary>A new secret for a live (neither revoked nor expired) token; the old one stays valid for <paramref name="overlap"/>. Null when there is no live token with that id.</summary>
    public ServiceToken? Rotate(string clientId, TimeSpan overlap, DateTimeOffset now)
    {
        var secret = ServiceToken.Generate().ClientSecret;
        var changed = _db.Execute("""
            UPDATE service_tokens SET previous_secret_sha256 = secret_sha256, previous_valid_until = @until, secret_sha256 = @hash
            WHERE client_id = @id AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
            """, ("@id", clientId), ("@hash", ServiceToken.HashSecret(secret)), ("@until", DbTime.Text(now + overlap)), ("@now", DbTime.Text(now)));
        return changed == 1 ? new ServiceToken(clientId, secret) : null;
    }

    /// <summary>Revokes a token (every secret of it); the token as it now is, or null if there is none.</summary>
    public ServiceTokenRecord? Revoke(string clientId, string reason, DateTimeOffset now)
    {
        _db.Execute("UPDATE service_tokens SET revoked_at = @now, revoke_reason = @reason WHERE client_id = @id AND revoked_at IS NULL",
            ("@id", clientId), ("@now", DbTime.Text(now)), ("@reason", reason));
        return Find(clientId);
    }

    private static ServiceTokenRecord Read(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), DbTime.Read(r, 2)!.Value, DbTime.Read(r, 3), DbTime.Read(r, 4), DbTime.Read(r, 5), DbTime.Read(r, 6));
}
