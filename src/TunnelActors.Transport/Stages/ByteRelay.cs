using Akka.Streams;
using Akka.Streams.Dsl;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Stages;

/// <summary>Bytes moved each way by a finished relay.</summary>
public sealed record RelayResult(long AToB, long BToA);

/// <summary>
/// A relay's abort as its stages see it: the token that cancels their pending reads and writes, and the
/// reason they then fail with (the owner's, not "cancelled").
/// </summary>
internal sealed class RelayAbort
{
    private readonly CancellationTokenSource _cancel = new();
    private Exception? _reason;

    public CancellationToken Token => _cancel.Token;
    public Exception? Reason => Volatile.Read(ref _reason);

    public void Abort(Exception reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        _cancel.Cancel();
    }

    /// <summary>A stage's own cancellation, linked to its relay's abort when it runs in one.</summary>
    public static CancellationTokenSource CancellationFor(RelayAbort? abort) =>
        abort is null ? new CancellationTokenSource() : CancellationTokenSource.CreateLinkedTokenSource(abort.Token);

    /// <summary>Why a stage's read or write failed: the owner's reason when its relay was aborted.</summary>
    public static Exception Failure(RelayAbort? abort, Task task, string what) =>
        abort?.Reason ?? task.Exception?.GetBaseException() ?? new OperationCanceledException($"{what} cancelled");
}

/// <summary>What one materialization of the relay's blueprint joins: the channel its source reads, the one its sink writes.</summary>
internal sealed class RelayEnds(IByteChannel from, IByteChannel to, RelayAbort abort) : Attributes.IAttribute
{
    public IByteChannel From { get; } = from;
    public IByteChannel To { get; } = to;
    public RelayAbort Abort { get; } = abort;

    /// <summary>What the blueprint's source reads, and its relay's abort.</summary>
    public static (IByteChannel Channel, RelayAbort? Abort) ReadEnd(Attributes attributes)
    {
        var ends = Of(attributes);
        return (ends.From, ends.Abort);
    }

    /// <summary>What the blueprint's sink writes, and its relay's abort.</summary>
    public static (IByteChannel Channel, RelayAbort? Abort) WriteEnd(Attributes attributes)
    {
        var ends = Of(attributes);
        return (ends.To, ends.Abort);
    }

    private static RelayEnds Of(Attributes attributes) =>
        attributes.GetAttribute<RelayEnds>() ?? throw new InvalidOperationException("no RelayEnds attribute: the relay blueprint is run by ByteRelay only");
}

/// <summary>A running relay: its outcome, and how to stop both its graphs.</summary>
public sealed class RunningRelay
{
    private readonly RelayAbort _abort;
    private readonly UniqueKillSwitch[] _killSwitches;

    internal RunningRelay(Task<RelayResult> completion, RelayAbort abort, params UniqueKillSwitch[] killSwitches) =>
        (Completion, _abort, _killSwitches) = (completion, abort, killSwitches);

    /// <summary>Completes when both directions finished (half-close passed on), faulted if either failed.</summary>
    public Task<RelayResult> Completion { get; }

    /// <summary>
    /// Stops both graphs now with <paramref name="reason"/>, including a sink still passing on its half-close
    /// after its source ended (the kill switch is behind it by then). The channels are their owner's to end.
    /// </summary>
    public void Abort(Exception reason)
    {
        _abort.Abort(reason);
        foreach (var killSwitch in _killSwitches) killSwitch.Abort(reason);
    }
}

/// <summary>
/// Joins two channels with two backpressured graphs (a→b, b→a), each
/// <see cref="ByteChannelSource"/> → kill switch → <see cref="ByteChannelSink"/>, each read buffer
/// returned to <see cref="DataBuffers"/> once written. Half-close
/// travels through; a failure on either side aborts both sides and both graphs.
/// Every stream runs one in each process, so its set-up is on the path of every new connection: the graph
/// is fused once per process and each run only names its channels (<see cref="RelayEnds"/>), which skips
/// Akka's fusing; and stream actors run it on the process's materializer (<c>Context.System.Materializer()</c>),
/// not one of their own (a supervisor actor per stream). Their PostStop aborts it, so no graph outlives its actor.
/// </summary>
public static class ByteRelay
{
    /// <summary>Read size: buffer size decides relay speed (socat: 8 KiB 0.8 GB/s, 256 KiB 1.8 GB/s).</summary>
    public const int DefaultChunkSize = 64 * 1024;

    private static readonly Fusing.FusedGraph<ClosedShape, (UniqueKillSwitch KillSwitch, Task<long> Bytes)> Direction = Fusing.Aggressive(
        Source.FromGraph(ByteChannelSource.FromRelayEnds(DefaultChunkSize))
            .ViaMaterialized(KillSwitches.Single<ReadOnlyMemory<byte>>(), Keep.Right)
            .ToMaterialized(Sink.FromGraph(ByteChannelSink.FromRelayEnds(DataBuffers.Return)), (killSwitch, bytes) => (killSwitch, bytes)));

    /// <summary>Starts both directions. A materializer that is shutting down (the actor system is stopping) gives a relay that has failed.</summary>
    public static RunningRelay Run(IByteChannel a, IByteChannel b, IMaterializer materializer)
    {
        var abort = new RelayAbort();
        var started = new List<UniqueKillSwitch>(2);
        try
        {
            var aToB = Pipe(a, b, abort, materializer);
            started.Add(aToB.KillSwitch);
            var bToA = Pipe(b, a, abort, materializer);
            started.Add(bToA.KillSwitch);
            return new RunningRelay(Finish(aToB.Bytes, bToA.Bytes), abort, aToB.KillSwitch, bToA.KillSwitch);
        }
        catch (Exception e)
        {
            Fail(e);
            return new RunningRelay(Task.FromException<RelayResult>(e), abort, [.. started]);
        }

        async Task<RelayResult> Finish(Task<long> forth, Task<long> back)
        {
            var (toB, toA) = (Guard(forth), Guard(back));
            await Task.WhenAll(toB, toA);
            return new RelayResult(toB.Result, toA.Result);
        }

        async Task<long> Guard(Task<long> direction)
        {
            try { return await direction; }
            catch (Exception e)
            {
                Fail(e);
                throw;
            }
        }

        void Fail(Exception e)
        {
            foreach (var killSwitch in started) killSwitch.Abort(e);
            a.Abort(e);
            b.Abort(e);
        }
    }

    // The fused blueprint itself is materialized (not a RunnableGraph around it): only a FusedGraph skips fusing.
    private static (UniqueKillSwitch KillSwitch, Task<long> Bytes) Pipe(IByteChannel from, IByteChannel to, RelayAbort abort, IMaterializer materializer) =>
        materializer.Materialize(Direction.WithAttributes(Attributes.None.And(new RelayEnds(from, to, abort))));
}
