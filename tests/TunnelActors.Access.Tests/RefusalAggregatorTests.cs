using TunnelActors.Access.Audit;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Access.Tests;

public sealed class RefusalAggregatorTests
{
    private sealed class ListLog : IAuditLog
    {
        public List<AuditEvent> Rows { get; } = new();
        public void Record(AuditEvent auditEvent) { lock (Rows) Rows.Add(auditEvent); }
        public IReadOnlyList<AuditEvent> Query(AuditQuery query) => Rows;
    }

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ListLog _rows = new();

    private AuditEvent Refusal(string source, string identity = "anonymous") =>
        new(_clock.Now, AuditKinds.Decision, "smb.site.test", identity, source, false, Detail: "no credential");

    [Fact]
    public void AFloodFromOneSource_WritesTheFirstRowAndOneSummary()
    {
        using var audit = new RefusalAggregator(_rows, _clock);

        for (var i = 0; i < 10_000; i++) audit.Record(Refusal("203.0.113.9"));
        _clock.Now += RefusalAggregator.Window;
        audit.Flush();

        Assert.Equal(2, _rows.Rows.Count);
        Assert.Contains("repeated 9999 more times", _rows.Rows[1].Detail);
    }

    [Fact]
    public void AllowedEvents_AndOtherSources_AreNotFolded()
    {
        using var audit = new RefusalAggregator(_rows, _clock);

        audit.Record(Refusal("203.0.113.9"));
        audit.Record(Refusal("203.0.113.10"));
        for (var i = 0; i < 3; i++) audit.Record(new AuditEvent(_clock.Now, AuditKinds.Decision, "smb.site.test", "alice@example.com", "10.0.0.1", true));

        Assert.Equal(5, _rows.Rows.Count);
    }

    [Fact]
    public void ManySources_AreBoundedToOneRowEachPlusOneForTheRest()
    {
        using var audit = new RefusalAggregator(_rows, _clock);

        for (var i = 0; i < RefusalAggregator.MaxSources + 5000; i++) audit.Record(Refusal($"2001:db8::{i:x}"));

        Assert.Equal(RefusalAggregator.MaxRowsPerWindow + 1, _rows.Rows.Count);
        Assert.Contains("counted together", _rows.Rows[^1].Detail);
    }
}
