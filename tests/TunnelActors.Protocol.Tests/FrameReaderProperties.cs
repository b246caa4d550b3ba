using FsCheck.Xunit;

namespace TunnelActors.Protocol.Tests;

[Properties(Arbitrary = [typeof(ProtocolArbitraries)], MaxTest = 300)]
public sealed class FrameReaderProperties
{
    [Property]
    public bool Reader_AnyFramesFedInAnyChunks_DecodesTheSameFramesInOrder(FrameBatch batch)
    {
        var decoded = Feed(batch.Encoded(), batch.ChunkSizes, out var reader);
        reader.Complete();
        return decoded.Count == batch.Frames.Length
            && decoded.Zip(batch.Frames).All(p => p.First.Type == p.Second.Type
                && p.First.StreamId == p.Second.StreamId
                && p.First.Payload.Span.SequenceEqual(p.Second.Payload.Span));
    }

    [Property]
    public bool Reader_InputCutAnywhere_FailsWithTruncatedUnlessOnAFrameBoundary(FrameBatch batch, uint cutSeed)
    {
        var encoded = batch.Encoded();
        if (encoded.Length < 2) return true;
        var cut = 1 + (int)(cutSeed % (uint)(encoded.Length - 1)); // 1 .. length-1
        var boundaries = new HashSet<int>();
        var end = 0;
        foreach (var frame in batch.Frames) boundaries.Add(end += FrameCodec.EncodedLength(frame));

        var decoded = Feed(encoded[..cut], batch.ChunkSizes, out var reader);

        if (boundaries.Contains(cut))
        {
            reader.Complete(); // a shorter but whole input
            return decoded.Count == batch.Frames.TakeWhile((_, i) => boundaries.Order().ElementAt(i) <= cut).Count();
        }
        return Assert.Throws<ProtocolException>(reader.Complete).Error == ProtocolError.Truncated;
    }

    [Property]
    public bool Reader_GarbageInput_YieldsFramesOrTypedErrorOnlyAndStaysBounded(Garbage garbage)
    {
        var reader = new FrameReader();
        var frames = new List<Frame>();
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            reader.Feed(garbage.Bytes, frames);
            reader.Complete();
        }
        catch (ProtocolException) { }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Never more than what the input could fill plus one frame at the limit, whatever headers claim.
        return allocated < garbage.Bytes.Length * 2 + FrameLimits.Default.MaxDataPayload + 64 * 1024;
    }

    private static List<Frame> Feed(byte[] encoded, int[] chunkSizes, out FrameReader reader)
    {
        reader = new FrameReader();
        var frames = new List<Frame>();
        var offset = 0;
        for (var i = 0; offset < encoded.Length; i++)
        {
            var size = Math.Min(chunkSizes[i % chunkSizes.Length], encoded.Length - offset);
            reader.Feed(encoded.AsSpan(offset, size), frames);
            offset += size;
        }
        return frames;
    }
}
