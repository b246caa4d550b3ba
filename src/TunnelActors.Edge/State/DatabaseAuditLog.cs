using TunnelActors.Access.Audit;

namespace TunnelActors.Edge.State;

/// <summary>The audit log in the control-plane database (one table shared by every edge).</summary>
public sealed class DatabaseAuditLog : IAuditLog, IBatchAuditLog
{
    private readonly Database _db;

    public DatabaseAuditLog(Database db)
    {
        _db = db;
        _db.EnsureSchema($"""
            CREATE TABLE IF NOT EXISTS audit_events (
                id {db.AutoIncrementKey}, time TEXT NOT NULL, kind TEXT NOT NULL, application TEXT,
                identity TEXT NOT NULL, source_ip TEXT, allowed BIGINT, policy TEXT, rule TEXT, detail TEXT);
            CREATE INDEX IF NOT EXISTS audit_events_kind ON audit_events (kind, id);
            """);
    }

    private const string Insert = "INSERT INTO audit_events (time, kind, application, identity, source_ip, allowed, policy, rule, detail) " +
                                  "VALUES (@time, @kind, @app, @identity, @ip, @allowed, @policy, @rule, @detail)";

    public void Record(AuditEvent e) => _db.Execute(Insert, Row(e));

    public void RecordAll(IReadOnlyList<AuditEvent> events) => _db.ExecuteEach(Insert, events.Select(Row));

    private static (string, object?)[] Row(AuditEvent e) =>
    [
        ("@time", e.Time.ToString("O")), ("@kind", e.Kind), ("@app", e.Application), ("@identity", e.Identity),
        ("@ip", e.SourceIp), ("@allowed", e.Allowed is null ? null : e.Allowed.Value ? 1L : 0L),
        ("@policy", e.Policy), ("@rule", e.Rule), ("@detail", e.Detail),
    ];

    public IReadOnlyList<AuditEvent> Query(AuditQuery query)
    {
        var (sql, parameters) = new FilteredQuery("SELECT id, time, kind, application, identity, source_ip, allowed, policy, rule, detail FROM audit_events")
            .Where("kind = @kind", "@kind", query.Kind)
            .Where("application = @app", "@app", query.Application)
            .Where("identity = @identity", "@identity", query.Identity)
            .Where("time >= @since", "@since", query.Since?.ToString("O"))
            .Where("id < @before", "@before", query.BeforeId)
            .Build("id DESC", query.Limit);
        return _db.Query(sql, r => new AuditEvent(
            DateTimeOffset.Parse(r.GetString(1)), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
            r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetInt64(6) == 1,
            r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9))
        { Id = r.GetInt64(0) }, parameters);
    }
}
