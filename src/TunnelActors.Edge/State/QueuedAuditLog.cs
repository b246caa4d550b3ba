using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Audit;

namespace TunnelActors.Edge.State;

/// <summary>
/// Writes audit events off the caller's path, one after the other in the order they were recorded:
/// a new stream's decision used to wait for its INSERT, and for the database's writer lock while the
/// previous stream's rows held it. At most <see cref="Capacity"/> events wait; beyond that the caller
/// waits for room (backpressure: nothing is dropped). <see cref="Query"/> first waits for every event
/// recorded before it, so a reader sees what it just caused. Disposing writes what is still queued;
/// a SIGKILL loses at most the events of the last moments.
/// </summary>
public sealed partial class QueuedAuditLog : IAuditLog, IDisposable
{
    public const int Capacity = 10_000;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly IAuditLog _inner;
    private readonly ILogger _log;
    private readonly Channel<AuditEvent> _queue = Channel.CreateBounded<AuditEvent>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _writer;
    private long _recorded;
    private long _written;

    public QueuedAuditLog(IAuditLog inner, ILogger log)
    {
        (_inner, _log) = (inner, log);
        _writer = Task.Run(WriteAllAsync);
    }

    public void Record(AuditEvent auditEvent)
    {
        Interlocked.Increment(ref _recorded);
        if (_queue.Writer.TryWrite(auditEvent)) return;
        // Full (a database far slower than the streams), or shut down: wait for room, or write it here.
        try { _queue.Writer.WriteAsync(auditEvent).AsTask().GetAwaiter().GetResult(); }
        catch (ChannelClosedException) { Write(auditEvent); }
    }

    public IReadOnlyList<AuditEvent> Query(AuditQuery query)
    {
        var recorded = Interlocked.Read(ref _recorded);
        SpinWait.SpinUntil(() => Interlocked.Read(ref _written) >= recorded || _writer.IsCompleted, DrainTimeout);
        return _inner.Query(query);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (!_writer.Wait(DrainTimeout)) NotDrained(_log, Interlocked.Read(ref _recorded) - Interlocked.Read(ref _written));
    }

    private async Task WriteAllAsync()
    {
        await foreach (var auditEvent in _queue.Reader.ReadAllAsync().ConfigureAwait(false)) Write(auditEvent);
    }

    private void Write(AuditEvent auditEvent)
    {
        try { _inner.Record(auditEvent); }
        catch (Exception e) { NotRecorded(_log, auditEvent.Kind, auditEvent.Identity, e.GetBaseException().Message); }
        finally { Interlocked.Increment(ref _written); }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Audit event {Kind} for {Identity} was not recorded: {Reason}")]
    private static partial void NotRecorded(ILogger log, string kind, string identity, string reason);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Error, Message = "Shutting down with {Count} audit events still unwritten")]
    private static partial void NotDrained(ILogger log, long count);
}
