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

/// <summary>What one materialization of the relay's blueprint joins: its two channels, and its abort.</summary>
internal sealed class RelayEnds(IByteChannel a, IByteChannel b, RelayAbort abort) : Attributes.IAttribute
{
    public IByteChannel A { get; } = a;
    public IByteChannel B { get; } = b;
    public RelayAbort Abort { get; } = abort;

    /// <summary>What a direction's source reads (a→b reads a), and its relay's abort.</summary>
    public static Func<Attributes, (IByteChannel Channel, RelayAbort? Abort)> ReadEnd(bool aToB) => attributes =>
    {
        var ends = Of(attributes);
        return (aToB ? ends.A : ends.B, ends.Abort);
    };

    /// <summary>What a direction's sink writes (a→b writes b), and its relay's abort.</summary>
    public static Func<Attributes, (IByteChannel Channel, RelayAbort? Abort)> WriteEnd(bool aToB) => attributes =>
    {
        var ends = Of(attributes);
        return (aToB ? ends.B : ends.A, ends.Abort);
    };

    private static RelayEnds Of(Attributes attributes) =>
        attributes.GetAttribute<RelayEnds>() ?? throw new InvalidOperationException("no RelayEnds attribute: the relay blueprint is run by ByteRelay only");
}

/// <summary>A running relay: its outcome, and how to stop both its directions.</summary>
public sealed class RunningRelay
{
    private readonly RelayAbort _abort;
    private readonly UniqueKillSwitch[] _killSwitches;

    internal RunningRelay(Task<RelayResult> completion, RelayAbort abort, params UniqueKillSwitch[] killSwitches) =>
        (Completion, _abort, _killSwitches) = (completion, abort, killSwitches);

    /// <summary>Completes when both directions finished (half-close passed on), faulted if either failed.</summary>
    public Task<RelayResult> Completion { get; }

    /// <summary>
    /// Stops both directions now with <paramref name="reason"/>, including a sink still passing on its half-close
    /// after its source ended (the kill switch is behind it by then). The channels are their owner's to end.
    /// </summary>
    public void Abort(Exception reason)
    {
        _abort.Abort(reason);
        foreach (var killSwitch in _killSwitches) killSwitch.Abort(reason);
    }
}

/// <summary>
/// Joins two channels with two backpressured byte flows (a→b, b→a), each
/// <see cref="ByteChannelSource"/> → kill switch → <see cref="ByteChannelSink"/>, each read buffer
/// returned to <see cref="DataBuffers"/> once written. Half-close
/// travels through; a failure on either side aborts both sides and both flows.
/// Every stream runs one in each process, so its set-up is on the path of every new connection: both flows
/// are one graph, fused once per process, so a run is one interpreter actor (not one per direction), and each
/// run only names its channels (<see cref="RelayEnds"/>), which skips Akka's fusing; stream actors run it on the
/// process's materializer (<c>Context.System.Materializer()</c>), not one of their own (a supervisor actor per
/// stream). Their PostStop aborts it, so no graph outlives its actor.
/// </summary>
public static class ByteRelay
{
    /// <summary>Read size: buffer size decides relay speed (socat: 8 KiB 0.8 GB/s, 256 KiB 1.8 GB/s).</summary>
    public const int DefaultChunkSize = 64 * 1024;

    private static IGraph<ClosedShape, (UniqueKillSwitch KillSwitch, Task<long> Bytes)> Direction(bool aToB) =>
        Source.FromGraph(ByteChannelSource.FromRelayEnds(DefaultChunkSize, aToB))
            .ViaMaterialized(KillSwitches.Single<ReadOnlyMemory<byte>>(), Keep.Right)
            .ToMaterialized(Sink.FromGraph(ByteChannelSink.FromRelayEnds(aToB, DataBuffers.Return)), (killSwitch, bytes) => (killSwitch, bytes));

    private static readonly Fusing.FusedGraph<ClosedShape, ((UniqueKillSwitch KillSwitch, Task<long> Bytes) Forth, (UniqueKillSwitch KillSwitch, Task<long> Bytes) Back)> BothWays =
        Fusing.Aggressive(GraphDsl.Create(Direction(aToB: true), Direction(aToB: false), (forth, back) => (forth, back), (_, _, _) => ClosedShape.Instance));

    /// <summary>Starts both directions. A materializer that is shutting down (the actor system is stopping) gives a relay that has failed.</summary>
    public static RunningRelay Run(IByteChannel a, IByteChannel b, IMaterializer materializer)
    {
        var abort = new RelayAbort();
        ((UniqueKillSwitch KillSwitch, Task<long> Bytes) aToB, (UniqueKillSwitch KillSwitch, Task<long> Bytes) bToA) run;
        // The fused blueprint itself is materialized (not a RunnableGraph around it): only a FusedGraph skips fusing.
        try { run = materializer.Materialize(BothWays.WithAttributes(Attributes.None.And(new RelayEnds(a, b, abort)))); }
        catch (Exception e)
        {
            a.Abort(e);
            b.Abort(e);
            return new RunningRelay(Task.FromException<RelayResult>(e), abort);
        }
        var (aToB, bToA) = run;
        return new RunningRelay(Finish(aToB.Bytes, bToA.Bytes), abort, aToB.KillSwitch, bToA.KillSwitch);

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
                // One direction failed: the other's flow stops too, and both channels are cut.
                aToB.KillSwitch.Abort(e);
                bToA.KillSwitch.Abort(e);
                a.Abort(e);
                b.Abort(e);
                throw;
            }
        }
    }
}
