using Akka.Streams;
using Akka.Streams.Stage;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Stages;

/// <summary>
/// Emits what an <see cref="IByteChannel"/> reads, one read per pull: the channel is never
/// read ahead of demand, so a slow downstream slows the peer (TCP or mux credit).
/// Each element is a buffer rented from <see cref="DataBuffers"/> and owned by downstream,
/// which returns it once consumed (or drops it). Completes when the peer finishes.
/// After a read that drained the channel (less than a full buffer), the next buffer is taken
/// only once data is there again (<see cref="IByteChannel.WaitReadableAsync"/>): a thousand
/// idle streams hold no read buffers, while a bulk transfer (full reads) pays nothing for it.
/// </summary>
public sealed class ByteChannelSource : GraphStage<SourceShape<ReadOnlyMemory<byte>>>
{
    private readonly Func<Attributes, (IByteChannel Channel, RelayAbort? Abort)> _channel;

    public ByteChannelSource(IByteChannel channel, int chunkSize) : this(_ => (channel, null), chunkSize) { }

    private ByteChannelSource(Func<Attributes, (IByteChannel, RelayAbort?)> channel, int chunkSize) => (_channel, ChunkSize) = (channel, chunkSize);

    /// <summary>For a blueprint fused once (<see cref="ByteRelay"/>): reads the channel each materialization names in <see cref="RelayEnds"/>.</summary>
    internal static ByteChannelSource FromRelayEnds(int chunkSize, bool aToB) => new(RelayEnds.ReadEnd(aToB), chunkSize);

    public int ChunkSize { get; }
    public Outlet<ReadOnlyMemory<byte>> Out { get; } = new("ByteChannelSource.out");
    public override SourceShape<ReadOnlyMemory<byte>> Shape => new(Out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes)
    {
        var (channel, abort) = _channel(inheritedAttributes);
        return new Logic(this, channel, abort);
    }

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly ByteChannelSource _stage;
        private readonly IByteChannel _channel;
        private readonly RelayAbort? _abort;
        private readonly CancellationTokenSource _cancel;
        private Action<(byte[] Buffer, Task<int> Read)> _onRead = null!;
        private Action<Task> _onReadable = null!;
        private bool _lastReadFull;

        public Logic(ByteChannelSource stage, IByteChannel channel, RelayAbort? abort) : base(stage.Shape)
        {
            (_stage, _channel, _abort) = (stage, channel, abort);
            _cancel = RelayAbort.CancellationFor(abort);
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            _onRead = GetAsyncCallback<(byte[] Buffer, Task<int> Read)>(r => Completed(r.Buffer, r.Read));
            _onReadable = GetAsyncCallback<Task>(wait =>
            {
                if (wait.IsCompletedSuccessfully) Read();
                else FailStage(Failure(wait));
            });
        }

        public override void OnPull()
        {
            if (_lastReadFull)
            {
                Read();
                return;
            }
            var wait = _channel.WaitReadableAsync(_cancel.Token);
            if (wait.IsCompletedSuccessfully) Read();
            else wait.AsTask().ContinueWith(t => _onReadable(t), TaskContinuationOptions.ExecuteSynchronously);
        }

        private void Read()
        {
            var buffer = DataBuffers.Rent(_stage.ChunkSize);
            var read = _channel.ReadAsync(buffer.AsMemory(0, _stage.ChunkSize), _cancel.Token);
            if (read.IsCompletedSuccessfully) Deliver(buffer, read.Result);
            else read.AsTask().ContinueWith(t => _onRead((buffer, t)), TaskContinuationOptions.ExecuteSynchronously);
        }

        public override void OnDownstreamFinish(Exception cause)
        {
            _cancel.Cancel();
            base.OnDownstreamFinish(cause);
        }

        public override void PostStop() => _cancel.Cancel();

        private void Completed(byte[] buffer, Task<int> read)
        {
            if (read.IsCompletedSuccessfully) Deliver(buffer, read.Result);
            else FailStage(Failure(read));
        }

        private Exception Failure(Task task) => RelayAbort.Failure(_abort, task, "read");

        private void Deliver(byte[] buffer, int count)
        {
            _lastReadFull = count == _stage.ChunkSize;
            if (count == 0)
            {
                DataBuffers.Return(buffer);
                CompleteStage();
            }
            else Push(_stage.Out, new ReadOnlyMemory<byte>(buffer, 0, count));
        }
    }
}
