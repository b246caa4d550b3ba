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
    public const int BatchSize = 500;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan QueryWait = TimeSpan.FromSeconds(2); // a reader sees its own writes, without holding a thread for long

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
        SpinWait.SpinUntil(() => Interlocked.Read(ref _written) >= recorded || _writer.IsCompleted, QueryWait);
        return _inner.Query(query);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (!_writer.Wait(DrainTimeout)) NotDrained(_log, Interlocked.Read(ref _recorded) - Interlocked.Read(ref _written));
    }

    // Whatever has queued up is written together, in one transaction: a database a round trip away
    // keeps up with many streams a second. A batch that fails is written row by row, so one bad row
    // costs only itself.
    private async Task WriteAllAsync()
    {
        var batch = new List<AuditEvent>(BatchSize);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var auditEvent)) batch.Add(auditEvent);
            if (!TryWriteAll(batch)) foreach (var auditEvent in batch) Write(auditEvent);
            batch.Clear();
        }
    }

    private bool TryWriteAll(List<AuditEvent> batch)
    {
        if (batch.Count < 2 || _inner is not IBatchAuditLog batchLog) return false;
        try { batchLog.RecordAll(batch); }
        catch (Exception) { return false; } // nothing was written: row by row, to find the bad one
        Interlocked.Add(ref _written, batch.Count);
        return true;
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

/// <summary>An audit log that writes several events in one transaction: all of them, or none.</summary>
public interface IBatchAuditLog
{
    void RecordAll(IReadOnlyList<AuditEvent> events);
}
