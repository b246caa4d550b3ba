namespace TunnelActors.Access.Audit;

/// <summary>
/// Keeps a flood of refusals from filling the audit log (and the disk): the first refusal of a
/// kind for one (application, identity, source) is written at once; repeats within
/// <see cref="Window"/> are only counted, and one summary row per window says how many there were.
/// At most <see cref="MaxSources"/> keys are tracked and <see cref="MaxRowsPerWindow"/> refusal rows
/// written per window; beyond either, refusals fold into one "many sources" row (with its count).
/// Allowed events pass straight through. Thread-safe.
/// </summary>
public sealed class RefusalAggregator : IAuditLog, IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    public const int MaxSources = 10_000;
    public const int MaxRowsPerWindow = 1_000;

    private sealed class Burst(DateTimeOffset start, AuditEvent last)
    {
        public DateTimeOffset Start = start;
        public AuditEvent Last = last;
        public int Repeats;
    }

    private readonly record struct Key(string Kind, string? Application, string Identity, string? Source);

    private static readonly Key Overflow = new("*", "*", "many identities", "many sources");

    private readonly IAuditLog _inner;
    private readonly TimeProvider _clock;
    private readonly Dictionary<Key, Burst> _bursts = new();
    private readonly ITimer _flush;
    private DateTimeOffset _rowsWindowStart;
    private int _rowsInWindow;

    public RefusalAggregator(IAuditLog inner, TimeProvider clock)
    {
        (_inner, _clock) = (inner, clock);
        _flush = clock.CreateTimer(_ => Flush(), null, Window, Window);
    }

    public void Record(AuditEvent auditEvent)
    {
        if (auditEvent.Allowed != false)
        {
            _inner.Record(auditEvent);
            return;
        }
        var now = _clock.GetUtcNow();
        var write = new List<AuditEvent>(2);
        lock (_bursts)
        {
            if (now - _rowsWindowStart >= Window) (_rowsWindowStart, _rowsInWindow) = (now, 0);
            var key = new Key(auditEvent.Kind, auditEvent.Application, auditEvent.Identity, auditEvent.SourceIp);
            if (!_bursts.ContainsKey(key) && (_bursts.Count >= MaxSources || _rowsInWindow >= MaxRowsPerWindow)) key = Overflow;
            if (_bursts.TryGetValue(key, out var burst) && now - burst.Start < Window)
            {
                burst.Repeats++;
                burst.Last = auditEvent;
            }
            else
            {
                if (burst is { Repeats: > 0 }) write.Add(Summary(burst));
                _bursts[key] = new Burst(now, auditEvent);
                write.Add(key == Overflow ? auditEvent with { Detail = $"{auditEvent.Detail} (refusals beyond {MaxSources} sources or {MaxRowsPerWindow} rows a minute are counted together)" } : auditEvent);
                _rowsInWindow += write.Count;
            }
        }
        foreach (var e in write) _inner.Record(e);
    }

    public IReadOnlyList<AuditEvent> Query(AuditQuery query) => _inner.Query(query);

    /// <summary>Writes the summary of every window that has ended and forgets it.</summary>
    public void Flush()
    {
        var now = _clock.GetUtcNow();
        var write = new List<AuditEvent>();
        lock (_bursts)
        {
            foreach (var (key, burst) in _bursts.Where(b => now - b.Value.Start >= Window).ToList())
            {
                if (burst.Repeats > 0) write.Add(Summary(burst));
                _bursts.Remove(key);
            }
        }
        foreach (var e in write) _inner.Record(e);
    }

    private static AuditEvent Summary(Burst burst) =>
        burst.Last with { Detail = $"{burst.Last.Detail} (repeated {burst.Repeats} more times within {Window.TotalSeconds:0} s of the first)" };

    public void Dispose()
    {
        _flush.Dispose();
        Flush();
    }
}
