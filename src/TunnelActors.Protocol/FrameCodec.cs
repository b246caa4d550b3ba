using System.Buffers.Binary;

namespace TunnelActors.Protocol;

/// <summary>
/// Wire layout of a frame: type (1 byte), stream id (4, big-endian), payload length
/// (4, big-endian), payload. Frames may span or share carrier messages.
/// </summary>
public static class FrameCodec
{
    public const int HeaderSize = 9;

    public static int EncodedLength(in Frame frame) => HeaderSize + frame.Payload.Length;

    /// <summary>Writes the frame into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(in Frame frame, Span<byte> destination)
    {
        destination[0] = (byte)frame.Type;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..], frame.StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)frame.Payload.Length);
        frame.Payload.Span.CopyTo(destination[HeaderSize..]);
        return HeaderSize + frame.Payload.Length;
    }

    public static byte[] Encode(in Frame frame)
    {
        var bytes = new byte[EncodedLength(frame)];
        Encode(frame, bytes);
        return bytes;
    }

    /// <summary>
    /// Parses and checks a header. Throws before any payload is allocated when the type is
    /// unknown or the announced length exceeds the limit for that type.
    /// </summary>
    public static (FrameType Type, uint StreamId, int Length) ReadHeader(ReadOnlySpan<byte> header, FrameLimits limits)
    {
        var type = (FrameType)header[0];
        if (!Enum.IsDefined(type))
            throw new ProtocolException(ProtocolError.UnknownFrameType, $"unknown frame type 0x{header[0]:x2}");
        var streamId = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[5..]);
        var max = limits.MaxPayload(type);
        if (length > (uint)max)
            throw new ProtocolException(ProtocolError.FrameTooLarge,
                $"{type} frame on stream {streamId} announces {length} bytes, limit is {max}");
        return (type, streamId, (int)length);
    }
}
