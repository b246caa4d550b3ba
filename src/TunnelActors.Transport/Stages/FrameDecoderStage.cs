using Akka.Streams;
using Akka.Streams.Stage;
using TunnelActors.Protocol;

namespace TunnelActors.Transport.Stages;

/// <summary>
/// Turns carrier bytes into mux frames with a <see cref="FrameReader"/>. Fails the stream
/// with a <see cref="ProtocolException"/> on a bad header, and with
/// <see cref="ProtocolError.Truncated"/> if the carrier ends mid-frame. Buffers at most
/// the frames decoded from one chunk. The decoder copies what it keeps, so each chunk goes to
/// <paramref name="consumed"/> as soon as it was fed (to return pooled buffers).
/// </summary>
public sealed class FrameDecoderStage(FrameLimits limits, Action<ReadOnlyMemory<byte>>? consumed = null) : GraphStage<FlowShape<ReadOnlyMemory<byte>, Frame>>
{
    public FrameLimits Limits { get; } = limits;
    public Action<ReadOnlyMemory<byte>>? Consumed { get; } = consumed;
    public Inlet<ReadOnlyMemory<byte>> In { get; } = new("FrameDecoder.in");
    public Outlet<Frame> Out { get; } = new("FrameDecoder.out");
    public override FlowShape<ReadOnlyMemory<byte>, Frame> Shape => new(In, Out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly FrameDecoderStage _stage;
        private readonly FrameReader _reader;
        private readonly List<Frame> _decoded = new();
        private int _next;

        public Logic(FrameDecoderStage stage) : base(stage.Shape)
        {
            _stage = stage;
            _reader = new FrameReader(stage.Limits);
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void OnPush()
        {
            var chunk = Grab(_stage.In);
            try { _reader.Feed(chunk.Span, _decoded); }
            catch (ProtocolException e) { FailStage(e); return; }
            finally { _stage.Consumed?.Invoke(chunk); }
            EmitOrPull();
        }

        public override void OnPull() => EmitOrPull();

        public override void OnUpstreamFinish()
        {
            try { _reader.Complete(); }
            catch (ProtocolException e) { FailStage(e); return; }
            if (_next == _decoded.Count) CompleteStage();
        }

        private void EmitOrPull()
        {
            if (!IsAvailable(_stage.Out)) return;
            if (_next < _decoded.Count)
            {
                Push(_stage.Out, _decoded[_next++]);
                if (_next == _decoded.Count)
                {
                    _next = 0;
                    _decoded.Clear();
                    if (IsClosed(_stage.In)) CompleteStage();
                }
            }
            else if (!HasBeenPulled(_stage.In) && !IsClosed(_stage.In)) Pull(_stage.In);
        }
    }

}
