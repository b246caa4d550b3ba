using System.Buffers.Binary;

namespace TunnelActors.Protocol.Tests;

public sealed class FrameReaderTests
{
    [Theory]
    [InlineData(FrameType.Data, 64 * 1024 + 1)]
    [InlineData(FrameType.Data, int.MaxValue)]
    [InlineData(FrameType.Open, 16 * 1024 + 1)]
    [InlineData(FrameType.Register, uint.MaxValue)]
    public void Reader_HeaderAnnouncingTooMuch_FailsOnHeaderWithoutAllocatingIt(FrameType type, uint length)
    {
        var header = Header(type, 1, length);
        var reader = new FrameReader();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<ProtocolException>(() => reader.Feed(header, new List<Frame>()));

        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
        Assert.Contains($"announces {length} bytes", error.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "the announced payload must not be allocated");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(0xff)]
    public void Reader_UnknownFrameType_FailsWithTypedError(byte type)
    {
        var header = Header((FrameType)type, 1, 0);

        var error = Assert.Throws<ProtocolException>(() => new FrameReader().Feed(header, new List<Frame>()));

        Assert.Equal(ProtocolError.UnknownFrameType, error.Error);
    }

    [Fact]
    public void Reader_HeaderSplitAcrossChunks_StillDecodes()
    {
        var encoded = FrameCodec.Encode(Frame.Data(7, new byte[] { 1, 2, 3 }));
        var reader = new FrameReader();
        var frames = new List<Frame>();

        foreach (var b in encoded) reader.Feed([b], frames);

        var frame = Assert.Single(frames);
        Assert.Equal(7u, frame.StreamId);
        Assert.Equal(new byte[] { 1, 2, 3 }, frame.Payload.ToArray());
        Assert.False(reader.IsMidFrame);
    }

    [Fact]
    public void Reader_EmptyPayloadFrames_Decode()
    {
        var encoded = FrameCodec.Encode(Frame.Fin(3)).Concat(FrameCodec.Encode(Frame.Fin(5))).ToArray();
        var frames = new List<Frame>();

        new FrameReader().Feed(encoded, frames);

        Assert.Equal([3u, 5u], frames.Select(f => f.StreamId));
    }

    [Fact]
    public void Reader_EndAfterPartialHeader_ReportsHowFarItGot()
    {
        var reader = new FrameReader();
        reader.Feed(new byte[] { (byte)FrameType.Data, 0, 0 }, new List<Frame>());

        var error = Assert.Throws<ProtocolException>(reader.Complete);

        Assert.Equal(ProtocolError.Truncated, error.Error);
        Assert.Contains("3 of 9 header bytes", error.Message);
    }

    private static byte[] Header(FrameType type, uint streamId, uint length)
    {
        var header = new byte[FrameCodec.HeaderSize];
        header[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), streamId);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), length);
        return header;
    }
}
