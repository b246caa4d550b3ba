using BenchmarkDotNet.Attributes;
using TunnelActors.Protocol;

namespace TunnelActors.Bench;

/// <summary>
/// The frame codec on its steady path: encoding DATA frames into an outgoing buffer and
/// decoding a carrier's bytes back into frames, per frame size. [MemoryDiagnoser] reports the
/// allocations per operation — the figure issue 6 wants at zero for DATA frames.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const int FramesPerBatch = 64;
    private byte[] _payload = [];
    private byte[] _encoded = [];
    private byte[] _output = [];
    private readonly List<Frame> _decoded = new(FramesPerBatch);
    private FrameReader _reader = new();

    [Params(1024, 16 * 1024, 64 * 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadSize];
        new Random(1).NextBytes(_payload);
        _output = new byte[FramesPerBatch * FrameCodec.EncodedLength(Frame.Data(1, _payload))];
        var offset = 0;
        for (var i = 0; i < FramesPerBatch; i++) offset += FrameCodec.Encode(Frame.Data((uint)(2 * i + 1), _payload), _output.AsSpan(offset));
        _encoded = _output.ToArray();
        _reader = new FrameReader();
    }

    /// <summary>64 DATA frames encoded back to back into one buffer (what the mux writer batches).</summary>
    [Benchmark(OperationsPerInvoke = FramesPerBatch)]
    public int EncodeDataFrames()
    {
        var offset = 0;
        for (var i = 0; i < FramesPerBatch; i++) offset += FrameCodec.Encode(Frame.Data(1, _payload), _output.AsSpan(offset));
        return offset;
    }

    /// <summary>
    /// 64 DATA frames decoded from carrier reads of 16 KiB (a WebSocket message's worth); each
    /// payload goes back to the pool after its read, as a mux stream returns it once read out.
    /// </summary>
    [Benchmark(OperationsPerInvoke = FramesPerBatch)]
    public int DecodeDataFrames()
    {
        var frames = 0;
        for (var offset = 0; offset < _encoded.Length; offset += 16 * 1024)
        {
            _reader.Feed(_encoded.AsSpan(offset, Math.Min(16 * 1024, _encoded.Length - offset)), _decoded);
            frames += _decoded.Count;
            foreach (var frame in _decoded) DataBuffers.Return(frame.Payload);
            _decoded.Clear();
        }
        return frames;
    }

    /// <summary>A WINDOW_UPDATE: sent for every chunk a reader consumes.</summary>
    [Benchmark]
    public int EncodeWindowUpdate() => FrameCodec.Encode(Frame.WindowUpdate(7, 65536), _output);
}
