namespace TunnelActors.Protocol;

/// <summary>
/// One mux frame. Stream id 0 is the connection itself (PING, REGISTER, GOAWAY, ...).
/// The payload is owned by the frame: codecs never hand out views into pooled buffers.
/// </summary>
public readonly record struct Frame(FrameType Type, uint StreamId, ReadOnlyMemory<byte> Payload)
{
    public static Frame Data(uint streamId, ReadOnlyMemory<byte> bytes) => new(FrameType.Data, streamId, bytes);
    public static Frame Fin(uint streamId) => new(FrameType.Fin, streamId, ReadOnlyMemory<byte>.Empty);

    public static Frame WindowUpdate(uint streamId, uint increment)
    {
        var payload = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, increment);
        return new(FrameType.WindowUpdate, streamId, payload);
    }

    public static Frame Ping(ulong opaque) => new(FrameType.Ping, 0, BitConverter.GetBytes(opaque));
    public static Frame Pong(ReadOnlyMemory<byte> opaque) => new(FrameType.Pong, 0, opaque);

    public override string ToString() => $"{Type}(stream {StreamId}, {Payload.Length} B)";
}
