namespace TunnelActors.Protocol.Tests;

public sealed class FrameReaderTests
{
    [Theory]
    [InlineData(FrameType.Data, 64 * 1024 + 1)]
    [InlineData(FrameType.Data, int.MaxValue)]
    [InlineData(FrameType.Data, 0x8000_0000u)] // 2 GiB
    [InlineData(FrameType.Data, uint.MaxValue)]
    [InlineData(FrameType.Open, 16 * 1024 + 1)]
    [InlineData(FrameType.WindowUpdate, 0x8000_0000u)]
    [InlineData(FrameType.Register, uint.MaxValue)]
    [InlineData(FrameType.GoAway, 64 * 1024)] // a DATA-sized control frame is still too large
    public void Reader_HeaderAnnouncingTooMuch_FailsOnHeaderWithoutAllocatingIt(FrameType type, uint length)
    {
        var header = ProtocolArbitraries.Header((byte)type, 1, length);
        var reader = new FrameReader();
        var frames = new List<Frame>();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<ProtocolException>(() => reader.Feed(header, frames));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
        Assert.Contains($"announces {length} bytes", error.Message);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes: the announced payload must not be allocated");
    }

    [Fact]
    public void Reader_TwoGigabyteHeaderFedByteByByte_FailsExactlyOnTheNinthByte()
    {
        var header = ProtocolArbitraries.Header((byte)FrameType.Data, 3, 0x8000_0000u);
        var reader = new FrameReader();
        var frames = new List<Frame>();
        var before = GC.GetAllocatedBytesForCurrentThread();

        for (var i = 0; i < FrameCodec.HeaderSize - 1; i++) reader.Feed(header.AsSpan(i, 1), frames);
        var error = Assert.Throws<ProtocolException>(() => reader.Feed(header.AsSpan(FrameCodec.HeaderSize - 1, 1), frames));

        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Theory]
    [InlineData(FrameType.Data, 64 * 1024)]
    [InlineData(FrameType.Register, 16 * 1024)]
    [InlineData(FrameType.Ping, 8)]
    [InlineData(FrameType.WindowUpdate, 4)]
    public void Reader_PayloadExactlyAtItsTypeLimit_Decodes(FrameType type, int length)
    {
        var payload = new byte[length];
        new Random(length).NextBytes(payload);
        var frames = new List<Frame>();

        new FrameReader().Feed(FrameCodec.Encode(new Frame(type, 9, payload)), frames);

        var frame = Assert.Single(frames);
        Assert.Equal(payload, frame.Payload.ToArray());
    }

    [Fact]
    public void Reader_EveryTypeByte_DecodesKnownTypesAndRejectsTheRestAsUnknown()
    {
        for (var value = 0; value <= 255; value++)
        {
            var frames = new List<Frame>();
            var header = ProtocolArbitraries.Header((byte)value, 1, 0);
            if (Enum.IsDefined((FrameType)value))
            {
                new FrameReader().Feed(header, frames);
                Assert.Equal((FrameType)value, Assert.Single(frames).Type);
            }
            else
            {
                var error = Assert.Throws<ProtocolException>(() => new FrameReader().Feed(header, frames));
                Assert.Equal(ProtocolError.UnknownFrameType, error.Error);
                Assert.Empty(frames);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(0x7f)]
    [InlineData(0xff)]
    public void Reader_UnknownFrameType_FailsWithTypedError(byte type)
    {
        var header = ProtocolArbitraries.Header(type, 1, 0);

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
    public void Reader_EmptyInput_CompletesWithoutError()
    {
        var reader = new FrameReader();
        reader.Feed(ReadOnlySpan<byte>.Empty, new List<Frame>());

        reader.Complete();
        Assert.False(reader.IsMidFrame);
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

    [Fact]
    public void Reader_EndAfterPartialPayload_ReportsHowFarItGot()
    {
        var encoded = FrameCodec.Encode(Frame.Data(1, new byte[100]));
        var reader = new FrameReader();
        reader.Feed(encoded.AsSpan(0, FrameCodec.HeaderSize + 40), new List<Frame>());

        var error = Assert.Throws<ProtocolException>(reader.Complete);

        Assert.Equal(ProtocolError.Truncated, error.Error);
        Assert.Contains("40 of 100 payload bytes", error.Message);
    }

    [Fact]
    public void Codec_Encode_WritesTheDocumentedBigEndianLayout()
    {
        var encoded = FrameCodec.Encode(new Frame(FrameType.Rst, 0x01020304, new byte[] { 0xaa, 0xbb }));

        Assert.Equal(new byte[] { 5, 1, 2, 3, 4, 0, 0, 0, 2, 0xaa, 0xbb }, encoded);
    }

    [Theory]
    [InlineData(FrameType.Ping, 9)]
    [InlineData(FrameType.Ping, 16 * 1024)]
    [InlineData(FrameType.Pong, 9)]
    [InlineData(FrameType.WindowUpdate, 5)]
    [InlineData(FrameType.Fin, 1)]
    public void Reader_ControlFrameLargerThanItsFixedSize_IsRefusedOnTheHeader(FrameType type, int length)
    {
        var error = Assert.Throws<ProtocolException>(() => new FrameReader().Feed(FrameCodec.Encode(new Frame(type, 0, new byte[length])), []));

        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
        Assert.Contains($"{type} frame", error.Message);
    }

    [Fact]
    public void Reader_CustomLimits_AreTheOnesEnforced()
    {
        var limits = new FrameLimits { MaxDataPayload = 10, MaxControlPayload = 4 };
        var frames = new List<Frame>();
        new FrameReader(limits).Feed(FrameCodec.Encode(Frame.Data(1, new byte[10])), frames);

        var error = Assert.Throws<ProtocolException>(() => new FrameReader(limits).Feed(FrameCodec.Encode(Frame.Data(1, new byte[11])), frames));

        Assert.Single(frames);
        Assert.Equal(ProtocolError.FrameTooLarge, error.Error);
        Assert.Equal(ProtocolError.FrameTooLarge,
            Assert.Throws<ProtocolException>(() => new FrameReader(limits).Feed(FrameCodec.Encode(Frame.Ping(1)), frames)).Error);
    }
}
