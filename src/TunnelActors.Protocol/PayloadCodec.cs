using System.Buffers.Binary;
using System.Text;

namespace TunnelActors.Protocol;

/// <summary>Writes control payload fields: u32 numbers and u16-length-prefixed strings/bytes.</summary>
internal sealed class PayloadWriter
{
    private readonly MemoryStream _stream = new();

    public PayloadWriter U32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        _stream.Write(bytes);
        return this;
    }

    public PayloadWriter U8(byte value)
    {
        _stream.WriteByte(value);
        return this;
    }

    public PayloadWriter Bytes(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException($"field of {value.Length} bytes exceeds the 65535-byte limit");
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)value.Length);
        _stream.Write(length);
        _stream.Write(value);
        return this;
    }

    public PayloadWriter String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

    public byte[] ToArray() => _stream.ToArray();
}

/// <summary>Reads what <see cref="PayloadWriter"/> wrote; any shortfall is a typed protocol error.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload, FrameType type)
{
    private ReadOnlySpan<byte> _rest = payload;

    public uint U32()
    {
        Need(4, "u32");
        var value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public byte U8()
    {
        Need(1, "u8");
        var value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        Need(2, "length prefix");
        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        _rest = _rest[2..];
        Need(length, "field");
        var value = _rest[..length];
        _rest = _rest[length..];
        return value;
    }

    public string String()
    {
        try { return new UTF8Encoding(false, true).GetString(Bytes()); }
        catch (DecoderFallbackException) { throw Malformed("a string field is not valid UTF-8"); }
    }

    /// <summary>No bytes left: an optional trailing field (added by a later version) is absent.</summary>
    public readonly bool AtEnd => _rest.IsEmpty;

    public readonly void End()
    {
        if (!_rest.IsEmpty) throw Malformed($"{_rest.Length} unexpected trailing bytes");
    }

    private readonly void Need(int count, string what)
    {
        if (_rest.Length < count) throw Malformed($"payload ends before its {what} ({count} bytes needed, {_rest.Length} left)");
    }

    private readonly ProtocolException Malformed(string detail) =>
        new(ProtocolError.MalformedPayload, $"malformed {type} payload: {detail}");
}
