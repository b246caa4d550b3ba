using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Access.Audit;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Tests;

public sealed class QueuedAuditLogTests
{
    /// <summary>A database that writes only once the gate is open, and fails the rows it is told to.</summary>
    private sealed class GatedLog(string? failKind = null) : IAuditLog
    {
        public ManualResetEventSlim Gate { get; } = new(initialState: true);
        public List<AuditEvent> Rows { get; } = new();

        public void Record(AuditEvent auditEvent)
        {
            Gate.Wait();
            if (auditEvent.Kind == failKind) throw new InvalidOperationException("database is locked");
            lock (Rows) Rows.Add(auditEvent);
        }

        public IReadOnlyList<AuditEvent> Query(AuditQuery query)
        {
            lock (Rows) return Rows.ToList();
        }
    }

    private static AuditEvent Event(int n, string kind = AuditKinds.Decision) =>
        new(DateTimeOffset.UnixEpoch, kind, "app", $"user{n}", "127.0.0.1", true, Detail: n.ToString());

    [Fact]
    public void Record_DoesNotWaitForTheDatabase_AndAQuerySeesEveryEventRecordedBeforeIt_InOrder()
    {
        var database = new GatedLog();
        database.Gate.Reset(); // a database that does not answer
        using var audit = new QueuedAuditLog(database, NullLogger.Instance);

        for (var i = 0; i < 20; i++) audit.Record(Event(i)); // returns although nothing can be written
        Assert.Empty(database.Rows);
        database.Gate.Set();

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString()), audit.Query(new AuditQuery()).Select(e => e.Detail));
    }

    [Fact]
    public void AFullQueue_HoldsTheCallerBack_AndLosesNothing()
    {
        var database = new GatedLog();
        database.Gate.Reset(); // stalled until the queue has filled up
        using var audit = new QueuedAuditLog(database, NullLogger.Instance);
        var total = QueuedAuditLog.Capacity * 3;
        var returned = 0;
        var returnedWhileStalled = 0;
        var release = new Thread(() =>
        {
            // Once the queue is full (however long the callers take to get going), give them time to overrun it.
            SpinWait.SpinUntil(() => Volatile.Read(ref returned) >= QueuedAuditLog.Capacity, TimeSpan.FromSeconds(30));
            Thread.Sleep(300);
            returnedWhileStalled = Volatile.Read(ref returned);
            database.Gate.Set();
        });
        release.Start();

        Parallel.For(0, total, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            audit.Record(Event(i));
            Interlocked.Increment(ref returned);
        });
        release.Join();

        // While the database stalled, only the queue and the batch the writer had taken were accepted.
        Assert.InRange(returnedWhileStalled, QueuedAuditLog.Capacity, QueuedAuditLog.Capacity + QueuedAuditLog.BatchSize);

        Assert.Equal(total, audit.Query(new AuditQuery()).Count);
    }

    [Fact]
    public void AFailedRow_IsLoggedAndSkipped_TheRestAreWritten_AndDisposeWritesWhatIsQueued()
    {
        var database = new GatedLog(failKind: "broken");
        var audit = new QueuedAuditLog(database, NullLogger.Instance);
        audit.Record(Event(1));
        audit.Record(Event(2, "broken"));
        audit.Record(Event(3));

        audit.Dispose();
        audit.Record(Event(4)); // after shutdown: written by the caller

        Assert.Equal(["1", "3", "4"], database.Query(new AuditQuery()).Select(e => e.Detail));
    }

    [Fact]
    public void OverTheDatabase_QueuedEventsAreWrittenInBatches_InTheOrderRecorded()
    {
        var file = Path.Combine(Path.GetTempPath(), $"audit-{Guid.NewGuid():N}.db");
        try
        {
            var db = new SqliteDatabase(file);
            using (var audit = new QueuedAuditLog(new DatabaseAuditLog(db), NullLogger.Instance))
                for (var i = 0; i < 2 * QueuedAuditLog.BatchSize + 7; i++) audit.Record(Event(i));

            var details = db.Query("SELECT detail FROM audit_events ORDER BY id", r => r.GetString(0));
            Assert.Equal(Enumerable.Range(0, 2 * QueuedAuditLog.BatchSize + 7).Select(i => i.ToString()), details);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }
}
