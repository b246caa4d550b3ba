using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Edge.State;

/// <summary>An origin certificate the edge issued (or revoked), as the admin API lists it.</summary>
public sealed record OriginCertificateRecord(string Serial, string? Zone, string? IssuedTo, DateTimeOffset? IssuedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt, string? RevokeReason);

/// <summary>
/// Every origin certificate issued, and the revoked ones: a revoked serial is refused at
/// registration and on the tunnel management API by every edge sharing the database. A serial
/// the edge never recorded (issued before this table existed) can be revoked all the same.
/// </summary>
public sealed class OriginCertificateStore
{
    private readonly Database _db;

    public OriginCertificateStore(Database db)
    {
        _db = db;
        _db.EnsureSchema("""
            CREATE TABLE IF NOT EXISTS origin_certificates (
                serial TEXT PRIMARY KEY, zone TEXT, issued_to TEXT, issued_at TEXT, expires_at TEXT, revoked_at TEXT, revoke_reason TEXT);
            """);
    }

    public void Record(X509Certificate2 certificate, string zone, string issuedTo) =>
        _db.Execute("INSERT INTO origin_certificates VALUES (@serial, @zone, @to, @at, @expires, NULL, NULL) ON CONFLICT (serial) DO NOTHING",
            ("@serial", Normalize(certificate.SerialNumber)), ("@zone", zone), ("@to", issuedTo), ("@at", DateTimeOffset.UtcNow.ToString("O")),
            ("@expires", new DateTimeOffset(certificate.NotAfter.ToUniversalTime()).ToString("O")));

    /// <summary>Revokes <paramref name="serial"/> (hex, any case, colons allowed); false when it already was.</summary>
    public bool Revoke(string serial, string reason)
    {
        var key = Normalize(serial);
        if (IsRevoked(key)) return false;
        _db.Execute("""
            INSERT INTO origin_certificates (serial, revoked_at, revoke_reason) VALUES (@serial, @at, @reason)
            ON CONFLICT (serial) DO UPDATE SET revoked_at = excluded.revoked_at, revoke_reason = excluded.revoke_reason
            """, ("@serial", key), ("@at", DateTimeOffset.UtcNow.ToString("O")), ("@reason", reason));
        return true;
    }

    public bool IsRevoked(string serial) =>
        _db.Scalar("SELECT revoked_at FROM origin_certificates WHERE serial = @serial", ("@serial", Normalize(serial))) is string;

    public IReadOnlySet<string> RevokedSerials() =>
        _db.Query("SELECT serial FROM origin_certificates WHERE revoked_at IS NOT NULL", r => r.GetString(0)).ToHashSet();

    public IReadOnlyList<OriginCertificateRecord> List() =>
        _db.Query("SELECT serial, zone, issued_to, issued_at, expires_at, revoked_at, revoke_reason FROM origin_certificates ORDER BY issued_at",
            r => new OriginCertificateRecord(r.GetString(0), Text(r, 1), Text(r, 2), DbTime.Read(r, 3), DbTime.Read(r, 4), DbTime.Read(r, 5), Text(r, 6)));

    /// <summary>Serials as upper-case hex without separators: what X509Certificate2.SerialNumber gives.</summary>
    public static string Normalize(string serial) => serial.Replace(":", "").Trim().ToUpperInvariant();

    private static string? Text(System.Data.Common.DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
