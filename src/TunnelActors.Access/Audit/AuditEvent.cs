namespace TunnelActors.Access.Audit;

/// <summary>What happened: a login, a policy decision, or a stream's start or end (kinds session_start and session_end, as the API has always named them).</summary>
public static class AuditKinds
{
    public const string Login = "login";
    public const string LoginFailed = "login_failed";
    public const string Decision = "access_decision";
    public const string SessionStart = "session_start";
    public const string SessionEnd = "session_end";
    public const string OriginCertificate = "origin_certificate";
    public const string ServiceToken = "service_token";
    public const string Revocation = "revocation";
}

/// <summary>One audit record. <see cref="Detail"/> holds kind-specific facts (bytes, duration, reason).</summary>
public sealed record AuditEvent(
    DateTimeOffset Time, string Kind, string? Application, string Identity, string? SourceIp,
    bool? Allowed = null, string? Policy = null, string? Rule = null, string? Detail = null)
{
    public long Id { get; init; }
}

/// <summary>A filter over the audit log; null fields match everything.</summary>
public sealed record AuditQuery(string? Kind = null, string? Application = null, string? Identity = null,
    DateTimeOffset? Since = null, int Limit = 100, long? BeforeId = null);

/// <summary>Where audit events go (the edge's database).</summary>
public interface IAuditLog
{
    void Record(AuditEvent auditEvent);

    /// <summary>Newest first; page with <see cref="AuditQuery.BeforeId"/> = the last id seen.</summary>
    IReadOnlyList<AuditEvent> Query(AuditQuery query);
}
