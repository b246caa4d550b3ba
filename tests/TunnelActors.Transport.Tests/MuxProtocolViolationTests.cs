using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>A session facing a hand-driven peer that sends crafted, broken or hostile frames on the carrier.</summary>
public sealed class MuxProtocolViolationTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly IMaterializer _materializer;

    public MuxProtocolViolationTests() => _materializer = Sys.Materializer();

    [Theory]
    [InlineData(new[] { 1025 })]             // one frame larger than the whole window
    [InlineData(new[] { 400, 400, 225 })]    // each frame fits, together they overrun it by one byte
    public async Task Data_BeyondTheWindow_ResetsOnlyThatStreamWithFlowControl(int[] frameSizes)
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), new OpenPayload("b", "y", 1024).ToFrame(3));
        var first = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var second = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);

        foreach (var size in frameSizes) await raw.Peer.SendAsync(cancel.Token, Frame.Data(1, new byte[size]));
        await raw.Peer.SendAsync(cancel.Token, Frame.Data(3, "fine"u8.ToArray()), Frame.Fin(3));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal(1u, reset.StreamId);
        Assert.Equal(ProtocolError.FlowControl, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code);
        var (erroredStream, error) = await raw.Events.StreamErrors.Reader.ReadAsync(cancel.Token);
        Assert.Equal((1u, ProtocolError.FlowControl), (erroredStream, error.Error));
        var readError = await Assert.ThrowsAsync<StreamResetException>(() => ByteStreams.ReadAllAsync(first, cancel.Token));
        Assert.Equal(ProtocolError.FlowControl, readError.Code);
        await Assert.ThrowsAsync<StreamResetException>(async () => await first.WriteAsync(new byte[1], cancel.Token));

        // The other stream on the same connection goes on, both ways.
        Assert.Equal(4, (await ByteStreams.ReadAllAsync(second, cancel.Token).WaitAsync(Timeout)).Count);
        await second.WriteAsync("reply"u8.ToArray(), cancel.Token);
        var reply = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Data && f.StreamId == 3, cancel.Token);
        Assert.Equal("reply"u8.ToArray(), reply.Payload.ToArray());
        Assert.False(raw.Session.Completion.IsCompleted);

        // A stream opened after the violation works too.
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("c", "z", 1024).ToFrame(5), Frame.Data(5, new byte[1024]), Frame.Fin(5));
        var third = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        Assert.Equal(1024, (await ByteStreams.ReadAllAsync(third, cancel.Token).WaitAsync(Timeout)).Count);
    }

    [Fact]
    public async Task WindowUpdate_OverflowingTwoToThe31_ResetsOnlyThatStreamWithFlowControl()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1 << 20).ToFrame(1), new OpenPayload("b", "y", 1 << 20).ToFrame(3));
        var first = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var second = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);

        await raw.Peer.SendAsync(cancel.Token, Frame.WindowUpdate(1, CreditWindow.MaxWindow));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal((1u, ProtocolError.FlowControl), (reset.StreamId, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code));
        await Assert.ThrowsAsync<StreamResetException>(async () => await first.ReadAsync(new byte[1], cancel.Token));
        await second.WriteAsync("still here"u8.ToArray(), cancel.Token);
        var data = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Data, cancel.Token);
        Assert.Equal(3u, data.StreamId);
    }

    [Theory]
    [InlineData(0u, ProtocolError.FlowControl)]
    [InlineData(CreditWindow.MaxWindow + 1, ProtocolError.FlowControl)]
    public async Task Open_WithAnInvalidWindow_IsRefusedWithRst(uint window, ProtocolError expected)
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", window).ToFrame(1));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal((1u, expected), (reset.StreamId, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code));
        Assert.False(raw.Events.Opened.Reader.TryRead(out _));
        Assert.Equal(0, raw.Session.StreamCount);
    }

    [Fact]
    public async Task Open_BeyondMaxStreams_IsRefusedWithTooManyStreams()
    {
        await using var raw = RawSession.Start(_materializer, MuxOptions.Default with { MaxStreams = 2 });
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendAsync(cancel.Token,
            new OpenPayload("a", "x", 1024).ToFrame(1), new OpenPayload("a", "x", 1024).ToFrame(3), new OpenPayload("a", "x", 1024).ToFrame(5));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal((5u, ProtocolError.TooManyStreams), (reset.StreamId, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code));
        Assert.Equal(2, raw.Session.StreamCount);
    }

    [Fact]
    public async Task OpensFromManyThreadsAtOnce_NeverExceedMaxStreams_AndEachGetsItsOwnId()
    {
        await using var pair = MuxPair.StartInMemory(_materializer, MuxOptions.Default with { MaxStreams = 8 });
        using var start = new ManualResetEventSlim();

        var opens = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            try { return await pair.Opener.OpenStreamAsync(new OpenPayload("a", "x", 1024), CancellationToken.None); }
            catch (InvalidOperationException) { return null; } // the limit
        })).ToList();
        start.Set();
        var opened = (await Task.WhenAll(opens)).OfType<MuxStream>().ToList();

        Assert.Equal(8, opened.Count);
        Assert.Equal(8, opened.Select(s => s.Id).Distinct().Count());
        // The peer admits only growing ids: had an OPEN overtaken a lower one, the lower one would have been refused.
        for (var wait = 0; wait < 600 && pair.Acceptor.StreamCount < 8; wait++) await Task.Delay(50);
        Assert.Equal(8, pair.Acceptor.StreamCount);
        Assert.All(opened, s => Assert.Null(s.ResetError));
    }

    [Theory]
    [InlineData(new byte[] { 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, ProtocolError.UnknownFrameType, "unknown frame type 0x7f")]
    [InlineData(new byte[] { 0x00, 0, 0, 0, 0, 0, 0, 0, 0 }, ProtocolError.UnknownFrameType, "unknown frame type 0x00")]
    [InlineData(new byte[] { 2, 0, 0, 0, 1, 0x80, 0, 0, 0 }, ProtocolError.FrameTooLarge, "announces 2147483648 bytes")] // DATA of 2 GiB
    [InlineData(new byte[] { 2, 0, 0, 0, 1, 0, 1, 0, 1 }, ProtocolError.FrameTooLarge, "announces 65537 bytes")]
    [InlineData(new byte[] { 6, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, ProtocolError.FrameTooLarge, "announces 4294967295 bytes")] // PING
    public async Task Carrier_GarbageOrOversizedHeader_EndsTheSessionWithGoAwayNamingTheCause(byte[] garbage, ProtocolError expected, string cause)
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1));
        var open = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var reading = ByteStreams.ReadAllAsync(open, cancel.Token);

        await raw.Peer.SendRawAsync(garbage, cancel.Token);

        var goAway = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.GoAway, cancel.Token);
        var reason = ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway);
        Assert.Equal(expected, reason.Code);
        Assert.Contains(cause, reason.Reason);
        Assert.Empty(await raw.Peer.ReadToEndAsync(cancel.Token)); // then the session closes its side
        var error = await Assert.ThrowsAsync<ProtocolException>(() => raw.Session.Completion.WaitAsync(Timeout));
        Assert.Equal(expected, error.Error);
        await Assert.ThrowsAsync<StreamResetException>(() => reading.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Carrier_EndsInTheMiddleOfAFrame_EndsTheSessionWithTruncated()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendRawAsync(FrameCodec.Encode(Frame.Ping(7))[..12], cancel.Token);
        await raw.Peer.Carrier.CompleteWritesAsync(cancel.Token);

        var goAway = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.GoAway, cancel.Token);
        Assert.Equal(ProtocolError.Truncated, ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway).Code);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => raw.Session.Completion.WaitAsync(Timeout));
        Assert.Equal(ProtocolError.Truncated, error.Error);
    }

    [Fact]
    public async Task Carrier_PeerClosesCleanly_OpenStreamsResetAndSessionCompletes()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), Frame.Data(1, new byte[10]));
        var open = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);

        await raw.Peer.Carrier.CompleteWritesAsync(cancel.Token);

        await raw.Session.Completion.WaitAsync(Timeout);
        Assert.Empty(await raw.Peer.ReadToEndAsync(cancel.Token));
        var error = await Assert.ThrowsAsync<StreamResetException>(() => ByteStreams.ReadAllAsync(open, cancel.Token).WaitAsync(Timeout));
        Assert.Contains("connection closed", error.Message);
    }

    [Fact]
    public async Task Carrier_PeerVanishes_OpenStreamsResetInsteadOfHanging()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1));
        var open = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var reading = ByteStreams.ReadAllAsync(open, cancel.Token);

        raw.PeerCarrier.Abort(new IOException("peer crashed"));

        await Assert.ThrowsAsync<StreamResetException>(() => reading.WaitAsync(Timeout));
        await ByteStreams.FailsWith<IOException>(raw.Session.Completion, Timeout);
        await Assert.ThrowsAsync<StreamResetException>(async () => await open.WriteAsync(new byte[1], cancel.Token).AsTask().WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(FrameType.Data)]
    [InlineData(FrameType.Fin)]
    [InlineData(FrameType.WindowUpdate)]
    public async Task Connection_StreamFrameOnStreamZero_EndsTheSessionWithStreamState(FrameType type)
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendAsync(cancel.Token, type switch
        {
            FrameType.WindowUpdate => Frame.WindowUpdate(0, 1),
            FrameType.Fin => Frame.Fin(0),
            _ => new Frame(type, 0, new byte[3]),
        });

        var goAway = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.GoAway, cancel.Token);
        Assert.Equal(ProtocolError.StreamState, ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway).Code);
        await Assert.ThrowsAsync<ProtocolException>(() => raw.Session.Completion.WaitAsync(Timeout));
    }

    /// <summary>
    /// A second OPEN for a stream id that is already open is answered with RST; the stream the
    /// peer has just been told is reset must be reset here too, or its reader waits forever.
    /// </summary>
    [Fact]
    public async Task Open_ForAStreamIdAlreadyOpen_ResetsThatStreamOnBothSides()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1));
        var open = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var reading = ByteStreams.ReadAllAsync(open, cancel.Token);

        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal((1u, ProtocolError.StreamState), (reset.StreamId, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code));
        var error = await Record.ExceptionAsync(() => reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(error is StreamResetException, $"the local end of stream 1 should be reset like the peer's; got {error?.GetType().Name ?? "a clean end"}");
    }

    [Fact]
    public async Task Open_ReusingAFinishedIdOrAnEvenOne_IsResetWhileTheOpenStreamCarriesOn()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), Frame.Fin(1));
        var first = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        await first.CompleteWritesAsync(cancel.Token); // both ends finished: stream 1 is forgotten
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(5));
        var live = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);

        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), new OpenPayload("a", "x", 1024).ToFrame(3),
            new OpenPayload("a", "x", 1024).ToFrame(8), Frame.Data(5, new byte[] { 42 }));

        var resets = new List<Frame>();
        for (var i = 0; i < 3; i++) resets.Add(await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token));
        Assert.Equal([1u, 3u, 8u], resets.Select(r => r.StreamId).Order());
        Assert.All(resets, r => Assert.Contains("ids are odd and grow (the last was 5)", ReasonPayload.Parse(r.Payload.Span, FrameType.Rst).Reason));
        var buffer = new byte[1];
        Assert.Equal(1, await live.ReadAsync(buffer, cancel.Token));
        Assert.Equal(42, buffer[0]);
        Assert.False(raw.Events.Opened.Reader.TryRead(out _), "no OPEN below the last id may start a stream");
    }

    [Fact]
    public async Task Stream_DataAfterFin_ResetsThatStreamWithStreamState()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), Frame.Fin(1), Frame.Data(1, new byte[1]));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);

        Assert.Equal((1u, ProtocolError.StreamState), (reset.StreamId, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code));
        Assert.False(raw.Session.Completion.IsCompleted);
    }

    [Fact]
    public async Task Stream_MalformedRstPayload_ResetsThatStreamWithMalformedPayload()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), new Frame(FrameType.Rst, 1, new byte[] { 8, 0, 9 }));
        var open = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);

        var error = await Assert.ThrowsAsync<StreamResetException>(() => ByteStreams.ReadAllAsync(open, cancel.Token).WaitAsync(Timeout));

        Assert.Equal(ProtocolError.MalformedPayload, error.Code);
        Assert.False(raw.Session.Completion.IsCompleted);
    }
}
