using Akka.Streams;
using Akka.Streams.Stage;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Stages;

/// <summary>
/// Writes each element to an <see cref="IByteChannel"/>, pulling the next one only after the
/// write completed (one element in flight: memory per graph is one chunk). Upstream
/// completion half-closes the channel; failure aborts it. Materializes the byte count,
/// completed once the half-close went out. <paramref name="written"/> gets each element after
/// its write succeeded (to return pooled buffers: the channel no longer touches it).
/// </summary>
public sealed class ByteChannelSink : GraphStageWithMaterializedValue<SinkShape<ReadOnlyMemory<byte>>, Task<long>>
{
    private readonly Func<Attributes, (IByteChannel Channel, RelayAbort? Abort)> _channel;

    public ByteChannelSink(IByteChannel channel, Action<ReadOnlyMemory<byte>>? written = null) : this(_ => (channel, null), written) { }

    private ByteChannelSink(Func<Attributes, (IByteChannel, RelayAbort?)> channel, Action<ReadOnlyMemory<byte>>? written) => (_channel, Written) = (channel, written);

    /// <summary>For a blueprint fused once (<see cref="ByteRelay"/>): writes to the channel each materialization names in <see cref="RelayEnds"/>.</summary>
    internal static ByteChannelSink FromRelayEnds(bool aToB, Action<ReadOnlyMemory<byte>>? written) => new(RelayEnds.WriteEnd(aToB), written);

    public Action<ReadOnlyMemory<byte>>? Written { get; }
    public Inlet<ReadOnlyMemory<byte>> In { get; } = new("ByteChannelSink.in");
    public override SinkShape<ReadOnlyMemory<byte>> Shape => new(In);

    public override ILogicAndMaterializedValue<Task<long>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (channel, abort) = _channel(inheritedAttributes);
        return new LogicAndMaterializedValue<Task<long>>(new Logic(this, channel, abort, done), done.Task);
    }

    private sealed class Logic : InGraphStageLogic
    {
        private readonly ByteChannelSink _stage;
        private readonly IByteChannel _channel;
        private readonly TaskCompletionSource<long> _done;
        private readonly RelayAbort? _abort;
        private readonly CancellationTokenSource _cancel;
        private Action<Task> _onWritten = null!;
        private Action<Task> _onCompleted = null!;
        private long _bytes;
        private ReadOnlyMemory<byte> _inFlight;
        private bool _writing;
        private bool _upstreamFinished;

        public Logic(ByteChannelSink stage, IByteChannel channel, RelayAbort? abort, TaskCompletionSource<long> done) : base(stage.Shape)
        {
            (_stage, _channel, _abort, _done) = (stage, channel, abort, done);
            _cancel = RelayAbort.CancellationFor(abort);
            SetHandler(stage.In, this);
        }

        public override void PreStart()
        {
            _onWritten = GetAsyncCallback<Task>(Written);
            _onCompleted = GetAsyncCallback<Task>(HalfClosed);
            // The last write and the half-close finish after the inlet closed: stay alive for them.
            SetKeepGoing(true);
            Pull(_stage.In);
        }

        public override void OnPush()
        {
            var chunk = Grab(_stage.In);
            _bytes += chunk.Length;
            _inFlight = chunk;
            _writing = true;
            var write = _channel.WriteAsync(chunk, _cancel.Token);
            if (write.IsCompletedSuccessfully) Written(Task.CompletedTask);
            else write.AsTask().ContinueWith(_onWritten, TaskContinuationOptions.ExecuteSynchronously);
        }

        public override void OnUpstreamFinish()
        {
            _upstreamFinished = true;
            if (!_writing) HalfClose();
        }

        public override void OnUpstreamFailure(Exception e)
        {
            _channel.Abort(e);
            _done.TrySetException(e);
            FailStage(e);
        }

        public override void PostStop()
        {
            _cancel.Cancel();
            _done.TrySetException(new AbruptStageTerminationException(this));
        }

        private void Written(Task write)
        {
            _writing = false;
            var chunk = _inFlight;
            _inFlight = default;
            if (!write.IsCompletedSuccessfully)
            {
                var error = RelayAbort.Failure(_abort, write, "write");
                _done.TrySetException(error);
                FailStage(error);
                return;
            }
            _stage.Written?.Invoke(chunk);
            if (_upstreamFinished) HalfClose();
            else Pull(_stage.In);
        }

        private void HalfClose()
        {
            var complete = _channel.CompleteWritesAsync(_cancel.Token);
            if (complete.IsCompletedSuccessfully) HalfClosed(Task.CompletedTask);
            else complete.AsTask().ContinueWith(_onCompleted, TaskContinuationOptions.ExecuteSynchronously);
        }

        private void HalfClosed(Task complete)
        {
            if (complete.IsCompletedSuccessfully) _done.TrySetResult(_bytes);
            else _done.TrySetException(RelayAbort.Failure(_abort, complete, "half-close"));
            CompleteStage();
        }
    }
}
