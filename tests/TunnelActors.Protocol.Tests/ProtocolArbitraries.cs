using FsCheck;
using FsCheck.Fluent;

namespace TunnelActors.Protocol.Tests;

/// <summary>A sequence of frames over interleaved streams, and how the carrier cuts its bytes.</summary>
public sealed record FrameBatch(Frame[] Frames, int[] ChunkSizes)
{
    public byte[] Encoded() => Frames.SelectMany(f => FrameCodec.Encode(f)).ToArray();

    /// <summary>Offsets where each frame ends in <see cref="Encoded"/>.</summary>
    public int[] Boundaries()
    {
        var ends = new int[Frames.Length];
        var end = 0;
        for (var i = 0; i < Frames.Length; i++) ends[i] = end += FrameCodec.EncodedLength(Frames[i]);
        return ends;
    }

    public override string ToString() =>
        $"{Frames.Length} frames [{string.Join(", ", Frames.Take(8))}...], chunks [{string.Join(",", ChunkSizes.Take(8))}...]";
}

/// <summary>Few, small frames: cheap enough to feed one byte at a time.</summary>
public sealed record SmallFrames(Frame[] Frames)
{
    public override string ToString() => $"{Frames.Length} frames [{string.Join(", ", Frames.Take(8))}...]";
}

/// <summary>A frame sequence and a cut strictly inside one of its frames (in its header or its payload).</summary>
public sealed record MidFrameCut(FrameBatch Batch, int FrameIndex, int Cut)
{
    public override string ToString() => $"cut at byte {Cut} (inside frame {FrameIndex}) of {Batch}";
}

/// <summary>A header whose announced length is above the limit for its type.</summary>
public sealed record OversizedHeader(FrameType Type, uint StreamId, uint Length)
{
    public byte[] Bytes() => ProtocolArbitraries.Header((byte)Type, StreamId, Length);
    public override string ToString() => $"{Type} stream {StreamId} announcing {Length} bytes";
}

/// <summary>A type byte that names no <see cref="FrameType"/>.</summary>
public sealed record UnknownTypeByte(byte Value, uint StreamId, uint Length)
{
    public override string ToString() => $"0x{Value:x2} (stream {StreamId}, length {Length})";
}

/// <summary>Arbitrary bytes a hostile or broken peer might send, and how they arrive.</summary>
public sealed record Garbage(byte[] Bytes, int[] ChunkSizes)
{
    public override string ToString() => Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 32))) + $"... ({Bytes.Length} B)";
}

/// <summary>Valid payload values, with strings of Unicode scalar values only (what UTF-8 can carry).</summary>
public static class PayloadValues
{
    public static Gen<string> Text(int maxCodePoints) =>
        from length in Gen.Choose(0, maxCodePoints)
        from codePoints in Gen.ArrayOf(CodePoint(), length)
        select string.Concat(codePoints.Select(char.ConvertFromUtf32));

    // ASCII mostly, then 2-, 3- and 4-byte UTF-8 sequences; never a surrogate code point.
    private static Gen<int> CodePoint() => Gen.Frequency(
        (6, Gen.Choose(0x20, 0x7e)),
        (1, Gen.Choose(0x00, 0x1f)),
        (2, Gen.Choose(0x80, 0x7ff)),
        (2, Gen.Choose(0x800, 0xd7ff)),
        (1, Gen.Choose(0xe000, 0xfffd)),
        (2, Gen.Choose(0x10000, 0x10ffff)));
}

public static class ProtocolArbitraries
{
    private static readonly FrameType[] Types = Enum.GetValues<FrameType>();

    public static byte[] Header(byte type, uint streamId, uint length)
    {
        var header = new byte[FrameCodec.HeaderSize];
        header[0] = type;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), streamId);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), length);
        return header;
    }

    /// <summary>Random bytes from a seed: fast even for 64 KiB payloads.</summary>
    public static Gen<byte[]> Bytes(int maxLength) =>
        from length in Gen.Choose(0, maxLength)
        from bytes in ExactBytes(length)
        select bytes;

    public static Gen<byte[]> ExactBytes(int length) =>
        Gen.Choose(int.MinValue, int.MaxValue).Select(seed =>
        {
            var bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        });

    public static Gen<uint> AnyUInt() =>
        from high in Gen.Choose(0, 0xffff)
        from low in Gen.Choose(0, 0xffff)
        select (uint)high << 16 | (uint)low;

    /// <summary>Mostly a handful of streams (so frames of one stream interleave with others), sometimes any id.</summary>
    public static Gen<uint> StreamId() => Gen.Frequency(
        (1, Gen.Constant(0u)),
        (8, Gen.Choose(1, 12).Select(i => (uint)i)),
        (2, Gen.Choose(1, 100_000).Select(i => (uint)i)),
        (1, AnyUInt()),
        (1, Gen.Constant(uint.MaxValue)));

    /// <summary>Any payload the limits allow for <paramref name="type"/>: mostly small, sometimes exactly at the limit.</summary>
    public static Gen<byte[]> Payload(FrameType type, int smallMax = 64)
    {
        var limit = FrameLimits.Default.MaxPayload(type);
        if (limit <= 8) return ExactBytes(limit); // PING/PONG, WINDOW_UPDATE, FIN: fixed sizes
        return Gen.Frequency(
            (12, Bytes(smallMax)),
            (3, Bytes(4096)),
            (1, Bytes(limit)),
            (1, ExactBytes(limit)));
    }

    public static Gen<Frame> Frame(int smallMax = 64) =>
        from type in Gen.Elements(Types)
        from stream in StreamId()
        from payload in Payload(type, smallMax)
        select new Frame(type, stream, payload);

    /// <summary>Only small frames: cheap enough to feed byte by byte.</summary>
    public static Gen<Frame> SmallFrame() =>
        from type in Gen.Elements(Types)
        from stream in StreamId()
        from payload in FrameLimits.Default.MaxPayload(type) <= 8 ? ExactBytes(FrameLimits.Default.MaxPayload(type)) : Bytes(300)
        select new Frame(type, stream, payload);

    public static Arbitrary<SmallFrames> SmallFrames() =>
        Gen.NonEmptyListOf(SmallFrame()).Select(l => new SmallFrames(l.Take(30).ToArray())).ToArbitrary();

    /// <summary>How a carrier might cut a byte stream: single bytes, header-sized bits, big reads.</summary>
    public static Gen<int[]> ChunkSizes() =>
        Gen.NonEmptyListOf(Gen.Frequency(
                (2, Gen.Constant(1)),
                (3, Gen.Choose(1, 16)),
                (2, Gen.Choose(1, 9000)),
                (1, Gen.Choose(9000, 200_000))))
            .Select(l => l.ToArray());

    private static Gen<FrameBatch> BatchGen(Gen<Frame> frame, int maxFrames) =>
        from frames in Gen.NonEmptyListOf(frame).Select(l => l.Take(maxFrames).ToArray())
        from chunks in ChunkSizes()
        select new FrameBatch(frames, chunks);

    public static Arbitrary<FrameBatch> FrameBatch() => BatchGen(Frame(), 40).ToArbitrary();

    public static Arbitrary<MidFrameCut> MidFrameCut() =>
        (from batch in BatchGen(Frame(), 20)
         from index in Gen.Choose(0, batch.Frames.Length - 1)
         from offset in Gen.Choose(1, FrameCodec.EncodedLength(batch.Frames[index]) - 1)
         let start = index == 0 ? 0 : batch.Boundaries()[index - 1]
         select new MidFrameCut(batch, index, start + offset)).ToArbitrary();

    public static Arbitrary<OversizedHeader> OversizedHeader() =>
        (from type in Gen.Elements(Types)
         from stream in StreamId()
         let limit = (uint)FrameLimits.Default.MaxPayload(type)
         from length in Gen.Frequency(
             (2, Gen.Constant(limit + 1)),
             (1, Gen.Constant((uint)int.MaxValue)),
             (1, Gen.Constant(0x8000_0000u)), // 2 GiB
             (1, Gen.Constant(uint.MaxValue)),
             (3, Gen.Choose(1, 1 << 20).Select(d => limit + (uint)d)),
             (4, AnyUInt().Where(l => l > limit)))
         select new OversizedHeader(type, stream, length)).ToArbitrary();

    public static Arbitrary<UnknownTypeByte> UnknownTypeByte() =>
        (from value in Gen.Choose(0, 255).Where(b => !Enum.IsDefined((FrameType)(byte)b))
         from stream in StreamId()
         from length in Gen.Choose(0, 16)
         select new UnknownTypeByte((byte)value, stream, (uint)length)).ToArbitrary();

    /// <summary>
    /// Pure noise, and valid frame streams with a few bytes overwritten (so some headers
    /// still parse and announce plausible lengths): both are what a broken peer sends.
    /// </summary>
    public static Arbitrary<Garbage> Garbage()
    {
        var noise = Gen.Frequency((3, Bytes(64)), (1, Bytes(20_000)));
        var corrupted =
            from batch in BatchGen(Frame(), 20)
            from edits in Gen.NonEmptyListOf(from position in Gen.Choose(0, int.MaxValue) from value in Gen.Choose(0, 255) select (position, value))
            select Corrupt(batch.Encoded(), edits);
        return (from bytes in Gen.Frequency((1, noise), (1, corrupted))
                from chunks in ChunkSizes()
                select new Garbage(bytes, chunks)).ToArbitrary();
    }

    private static byte[] Corrupt(byte[] bytes, IEnumerable<(int Position, int Value)> edits)
    {
        foreach (var (position, value) in edits.Take(8)) bytes[position % bytes.Length] = (byte)value;
        return bytes;
    }

    public static Arbitrary<OpenPayload> OpenPayload() =>
        (from hostname in PayloadValues.Text(80)
         from identity in PayloadValues.Text(80)
         from window in AnyUInt()
         from streamId in PayloadValues.Text(40)
         select new OpenPayload(hostname, identity, window, streamId)).ToArbitrary();

    public static Arbitrary<RegisterPayload> RegisterPayload() =>
        (from hostname in PayloadValues.Text(60)
         from connector in PayloadValues.Text(60)
         from replica in PayloadValues.Text(60)
         from certificate in Bytes(1024)
         from signature in Bytes(256)
         select new RegisterPayload(hostname, connector, replica, certificate, signature)).ToArbitrary();

    public static Arbitrary<RegisteredPayload> RegisteredPayload() =>
        (from connection in PayloadValues.Text(80)
         from node in PayloadValues.Text(80)
         select new RegisteredPayload(connection, node)).ToArbitrary();

    public static Arbitrary<ReasonPayload> ReasonPayload() =>
        (from code in Gen.Elements(Enum.GetValues<ProtocolError>())
         from reason in PayloadValues.Text(300)
         select new ReasonPayload(code, reason)).ToArbitrary();
}
