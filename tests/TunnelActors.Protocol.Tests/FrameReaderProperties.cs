using FsCheck.Xunit;

namespace TunnelActors.Protocol.Tests;

[Properties(Arbitrary = [typeof(ProtocolArbitraries)], MaxTest = 300)]
public sealed class FrameReaderProperties
{
    [Property]
    public void Reader_AnyFramesFedInAnyChunks_DecodesTheSameFramesInOrder(FrameBatch batch)
    {
        var decoded = Feed(batch.Encoded(), batch.ChunkSizes, out var reader);

        AssertSameFrames(batch.Frames, decoded);
        Assert.False(reader.IsMidFrame);
        reader.Complete(); // a whole input: must not throw
    }

    [Property(MaxTest = 150)]
    public void Reader_AnyFramesFedOneByteAtATime_DecodesTheSameFramesInOrder(SmallFrames small)
    {
        var decoded = Feed(new FrameBatch(small.Frames, [1]).Encoded(), [1], out var reader);

        AssertSameFrames(small.Frames, decoded);
        reader.Complete();
    }

    [Property]
    public void Reader_ProperPrefixEndingMidFrame_CompleteFailsAsTruncated(MidFrameCut cut)
    {
        var prefix = cut.Batch.Encoded()[..cut.Cut];

        var decoded = Feed(prefix, cut.Batch.ChunkSizes, out var reader);

        // Every frame before the cut one came out whole; the cut one did not come out at all.
        AssertSameFrames(cut.Batch.Frames[..cut.FrameIndex], decoded);
        Assert.True(reader.IsMidFrame);
        var error = Assert.Throws<ProtocolException>(reader.Complete);
        Assert.Equal(ProtocolError.Truncated, error.Error);
    }

    [Property]
    public bool Reader_InputCutOnAFrameBoundary_CompletesWithTheFramesBeforeIt(FrameBatch batch, uint seed)
    {
        var boundaries = batch.Boundaries();
        var count = 1 + (int)(seed % (uint)boundaries.Length);

        var decoded = Feed(batch.Encoded()[..boundaries[count - 1]], batch.ChunkSizes, out var reader);

        reader.Complete();
        return decoded.Count == count;
    }

    [Property]
    public void Reader_HeaderAnnouncingMoreThanItsTypeLimit_FailsOnTheNinthByteWithoutAllocatingIt(OversizedHeader header)
    {
        var bytes = header.Bytes();
        var reader = new FrameReader();
        var frames = new List<Frame>();
        var before = GC.GetAllocatedBytesForCurrentThread();

        reader.Feed(bytes.AsSpan(0, FrameCodec.HeaderSize - 1), frames); // not yet a whole header: nothing to judge
        var error = Assert.Throws<ProtocolException>(() => reader.Feed(bytes.AsSpan(FrameCodec.HeaderSize - 1), frames));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
        Assert.Contains($"announces {header.Length} bytes", error.Message);
        Assert.Empty(frames);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes for a header announcing {header.Length}");
    }

    [Property]
    public void Reader_UnknownTypeByte_FailsWithUnknownFrameType(UnknownTypeByte type)
    {
        var bytes = ProtocolArbitraries.Header(type.Value, type.StreamId, type.Length);

        var error = Assert.Throws<ProtocolException>(() => new FrameReader().Feed(bytes, new List<Frame>()));

        Assert.Equal(ProtocolError.UnknownFrameType, error.Error);
        Assert.Contains($"0x{type.Value:x2}", error.Message);
    }

    /// <summary>
    /// Whatever arrives, the reader yields frames or a typed <see cref="ProtocolException"/>
    /// (anything else escapes and fails the property), and its allocations are bounded by what
    /// it was fed: payload bytes of frames it completed (plus an array header each), one
    /// in-progress payload within the limit, and a small constant (the exception).
    /// </summary>
    [Property]
    public void Reader_GarbageInAnyChunks_YieldsFramesOrProtocolExceptionWithBoundedAllocations(Garbage garbage)
    {
        var reader = new FrameReader();
        var frames = new List<Frame>(garbage.Bytes.Length / FrameCodec.HeaderSize + 1); // sized up front: not the reader's allocation
        var fed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            for (var i = 0; fed < garbage.Bytes.Length; i++)
            {
                var size = Math.Min(garbage.ChunkSizes[i % garbage.ChunkSizes.Length], garbage.Bytes.Length - fed);
                reader.Feed(garbage.Bytes.AsSpan(fed, size), frames);
                fed += size;
            }
            reader.Complete();
        }
        catch (ProtocolException e)
        {
            Assert.True(Enum.IsDefined(e.Error) && e.Error != ProtocolError.None, $"untyped error {e.Error}");
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        const int arrayOverhead = 32;
        var bound = garbage.Bytes.Length + (long)arrayOverhead * (frames.Count + 1) + FrameLimits.Default.MaxDataPayload + 16 * 1024;
        Assert.True(allocated <= bound, $"allocated {allocated} bytes for {garbage.Bytes.Length} input bytes and {frames.Count} frames (bound {bound})");
        Assert.All(frames, f => Assert.True(f.Payload.Length <= FrameLimits.Default.MaxPayload(f.Type)));
    }

    private static void AssertSameFrames(IReadOnlyList<Frame> expected, IReadOnlyList<Frame> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Type, actual[i].Type);
            Assert.Equal(expected[i].StreamId, actual[i].StreamId);
            Assert.True(expected[i].Payload.Span.SequenceEqual(actual[i].Payload.Span), $"payload of frame {i} ({expected[i]}) differs");
        }
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
