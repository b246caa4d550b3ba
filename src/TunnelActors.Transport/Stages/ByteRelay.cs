using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Implementation.Fusing;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Stages;

/// <summary>Bytes moved each way by a finished relay.</summary>
public sealed record RelayResult(long AToB, long BToA);

/// <summary>Which two channels one materialization of the relay's blueprint joins.</summary>
internal sealed class RelayEnds(IByteChannel from, IByteChannel to) : Attributes.IAttribute
{
    public IByteChannel From { get; } = from;
    public IByteChannel To { get; } = to;
}

/// <summary>A running relay: its outcome, and the kill switch of both its graphs.</summary>
public sealed class RunningRelay(Task<RelayResult> completion, UniqueKillSwitch aToB, UniqueKillSwitch bToA)
{
    /// <summary>Completes when both directions finished (half-close passed on), faulted if either failed.</summary>
    public Task<RelayResult> Completion { get; } = completion;

    /// <summary>Stops both graphs now with <paramref name="reason"/>; the channels are their owner's to end.</summary>
    public void Abort(Exception reason)
    {
        aToB.Abort(reason);
        bToA.Abort(reason);
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

    private static readonly IGraph<ClosedShape, (UniqueKillSwitch KillSwitch, Task<long> Bytes)> Direction = Fusing.Aggressive(
        Source.FromGraph(ByteChannelSource.FromRelayEnds(DefaultChunkSize))
            .ViaMaterialized(KillSwitches.Single<ReadOnlyMemory<byte>>(), Keep.Right)
            .ToMaterialized(Sink.FromGraph(ByteChannelSink.FromRelayEnds(DataBuffers.Return)), (killSwitch, bytes) => (killSwitch, bytes)));

    /// <summary>Starts both directions; throws only if <paramref name="materializer"/> is shut down (the actor system is stopping).</summary>
    public static RunningRelay Run(IByteChannel a, IByteChannel b, IMaterializer materializer)
    {
        var aToB = Pipe(a, b, materializer);
        (UniqueKillSwitch KillSwitch, Task<long> Bytes) bToA;
        try { bToA = Pipe(b, a, materializer); }
        catch (Exception e) // the materializer is shutting down: the half already running must not stay behind
        {
            aToB.KillSwitch.Abort(e);
            throw;
        }
        return new RunningRelay(Finish(), aToB.KillSwitch, bToA.KillSwitch);

        async Task<RelayResult> Finish()
        {
            var (forth, back) = (Guard(aToB.Bytes), Guard(bToA.Bytes));
            await Task.WhenAll(forth, back);
            return new RelayResult(forth.Result, back.Result);
        }

        async Task<long> Guard(Task<long> direction)
        {
            try { return await direction; }
            catch (Exception e)
            {
                aToB.KillSwitch.Abort(e);
                bToA.KillSwitch.Abort(e);
                a.Abort(e);
                b.Abort(e);
                throw;
            }
        }
    }

    private static (UniqueKillSwitch KillSwitch, Task<long> Bytes) Pipe(IByteChannel from, IByteChannel to, IMaterializer materializer) =>
        RunnableGraph.FromGraph(Direction.WithAttributes(Attributes.None.And(new RelayEnds(from, to)))).Run(materializer);
}
