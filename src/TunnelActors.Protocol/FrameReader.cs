namespace TunnelActors.Protocol;

/// <summary>
/// Incremental decoder: feed it bytes in chunks of any size, it yields whole frames.
/// It holds at most one header and one payload, and allocates a payload only after
/// its header passed <see cref="FrameCodec.ReadHeader"/>. DATA payloads are rented from
/// <see cref="DataBuffers"/> (sliced to the frame's length): their consumer returns them.
/// </summary>
public sealed class FrameReader(FrameLimits limits)
{
    private readonly byte[] _header = new byte[FrameCodec.HeaderSize];
    private int _headerFilled;
    private FrameType _type;
    private uint _streamId;
    private byte[]? _payload;
    private int _payloadLength;
    private int _payloadFilled;

    public FrameReader() : this(FrameLimits.Default) { }

    /// <summary>True while a frame has been started but not finished.</summary>
    public bool IsMidFrame => _headerFilled > 0;

    /// <summary>Consumes all of <paramref name="input"/>, adding each completed frame to <paramref name="output"/>.</summary>
    public void Feed(ReadOnlySpan<byte> input, List<Frame> output)
    {
        while (!input.IsEmpty)
        {
            if (_headerFilled < FrameCodec.HeaderSize)
            {
                var take = Math.Min(FrameCodec.HeaderSize - _headerFilled, input.Length);
                input[..take].CopyTo(_header.AsSpan(_headerFilled));
                _headerFilled += take;
                input = input[take..];
                if (_headerFilled < FrameCodec.HeaderSize) return;

                var (type, streamId, length) = FrameCodec.ReadHeader(_header, limits);
                (_type, _streamId) = (type, streamId);
                _payload = length == 0 ? [] : type == FrameType.Data ? DataBuffers.Rent(length) : new byte[length];
                _payloadLength = length;
                _payloadFilled = 0;
            }

            var payload = _payload!;
            var chunk = Math.Min(_payloadLength - _payloadFilled, input.Length);
            input[..chunk].CopyTo(payload.AsSpan(_payloadFilled));
            _payloadFilled += chunk;
            input = input[chunk..];
            if (_payloadFilled < _payloadLength) return;

            output.Add(new Frame(_type, _streamId, payload.AsMemory(0, _payloadLength)));
            _headerFilled = 0;
            _payload = null;
        }
    }

    /// <summary>Call at end of input: throws <see cref="ProtocolError.Truncated"/> if a frame was cut off.</summary>
    public void Complete()
    {
        if (IsMidFrame)
            throw new ProtocolException(ProtocolError.Truncated,
                _headerFilled < FrameCodec.HeaderSize
                    ? $"input ended after {_headerFilled} of {FrameCodec.HeaderSize} header bytes"
                    : $"input ended after {_payloadFilled} of {_payloadLength} payload bytes of a {_type} frame");
    }
}
