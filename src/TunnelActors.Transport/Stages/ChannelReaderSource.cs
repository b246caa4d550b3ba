using System.Threading.Channels;
using Akka.Streams;
using Akka.Streams.Stage;

namespace TunnelActors.Transport.Stages;

/// <summary>
/// Emits what a <see cref="ChannelReader{T}"/> holds, one item per pull; completes when the channel
/// completes, fails when it completes with an error. Unlike Akka's <c>Source.ChannelReader</c>, the
/// wake-up runs on the writer's thread (with a channel made with <c>AllowSynchronousContinuations</c>)
/// instead of taking a thread-pool hop: a mux frame is encoded and written as soon as it is queued.
/// </summary>
public sealed class ChannelReaderSource<T>(ChannelReader<T> reader) : GraphStage<SourceShape<T>>
{
    public Outlet<T> Out { get; } = new("ChannelReaderSource.out");
    public override SourceShape<T> Shape => new(Out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this, reader);

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly ChannelReaderSource<T> _stage;
        private readonly ChannelReader<T> _reader;
        private Action<Task<bool>> _onReadable = null!;

        public Logic(ChannelReaderSource<T> stage, ChannelReader<T> reader) : base(stage.Shape)
        {
            (_stage, _reader) = (stage, reader);
            SetHandler(stage.Out, this);
        }

        public override void PreStart() => _onReadable = GetAsyncCallback<Task<bool>>(Readable);

        public override void OnPull()
        {
            if (_reader.TryRead(out var item))
            {
                Push(_stage.Out, item);
                return;
            }
            var wait = _reader.WaitToReadAsync();
            if (wait.IsCompleted) Readable(wait.AsTask());
            else wait.AsTask().ContinueWith(_onReadable, TaskContinuationOptions.ExecuteSynchronously);
        }

        private void Readable(Task<bool> wait)
        {
            if (!wait.IsCompletedSuccessfully) FailStage(wait.Exception?.GetBaseException() ?? new OperationCanceledException("channel wait cancelled"));
            else if (!wait.Result) CompleteStage();
            else OnPull();
        }
    }
}
