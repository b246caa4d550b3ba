using FsCheck;
using FsCheck.Fluent;

namespace TunnelActors.Protocol.Tests;

/// <summary>A sequence of frames over interleaved streams, and how the carrier cuts its bytes.</summary>
public sealed record FrameBatch(Frame[] Frames, int[] ChunkSizes)
{
    public byte[] Encoded() => Frames.SelectMany(f => FrameCodec.Encode(f)).ToArray();
    public override string ToString() => $"{Frames.Length} frames [{string.Join(", ", Frames.Take(8))}...], chunks [{string.Join(",", ChunkSizes.Take(8))}...]";
}

/// <summary>Arbitrary bytes a hostile or broken peer might send.</summary>
public sealed record Garbage(byte[] Bytes)
{
    public override string ToString() => Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 32))) + $"... ({Bytes.Length} B)";
}

public static class ProtocolArbitraries
{
    private static readonly FrameType[] Types = Enum.GetValues<FrameType>();

    public static Gen<byte[]> Bytes(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    public static Gen<Frame> Frame() =>
        from type in Gen.Elements(Types)
        from stream in Gen.Frequency((1, Gen.Constant(0u)), (4, Gen.Choose(1, 64).Select(i => (uint)i)), (1, Gen.Constant(uint.MaxValue)))
        // Mostly small payloads, sometimes up to the data limit.
        from payload in Gen.Frequency((8, Bytes(64)), (2, Bytes(4096)), (1, Bytes(FrameLimits.Default.MaxControlPayload)))
        select new Frame(type, stream, payload);

    public static Arbitrary<FrameBatch> FrameBatch() =>
        (from frames in Gen.NonEmptyListOf(Frame()).Select(l => l.Take(40).ToArray())
         from chunks in Gen.NonEmptyListOf(Gen.Frequency((3, Gen.Choose(1, 16)), (2, Gen.Choose(1, 9000)))).Select(l => l.ToArray())
         select new FrameBatch(frames, chunks)).ToArbitrary();

    public static Arbitrary<Garbage> Garbage() =>
        Gen.Frequency((3, Bytes(64)), (1, Bytes(20_000))).Select(b => new Garbage(b)).ToArbitrary();
}
