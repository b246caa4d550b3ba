using System.Net.Sockets;
using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

public sealed class MuxSessionTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly IMaterializer _materializer;

    public MuxSessionTests() => _materializer = Sys.Materializer();

    [Fact]
    public async Task Stream_BothDirectionsWithHalfClose_ArriveIntact()
    {
        await using var pair = await MuxPair.StartAsync(_materializer);
        var (near, far) = await pair.OpenAsync(identity: "alice");
        using var cancel = new CancellationTokenSource(Timeout);

        var up = ByteStreams.WriteRandomAsync(near, 5 << 20, seed: 1, cancel.Token);
        var upRead = ByteStreams.ReadAllAsync(far, cancel.Token);
        Assert.Equal(await up, (await upRead).Sha256);

        // near finished sending; far can still answer, and near still reads.
        var down = ByteStreams.WriteRandomAsync(far, 3 << 20, seed: 2, cancel.Token);
        var downRead = await ByteStreams.ReadAllAsync(near, cancel.Token);
        Assert.Equal(await down, downRead.Sha256);
        Assert.Equal(3 << 20, downRead.Count);
        Assert.Equal("alice", far.Open.Identity);
    }

    [Fact]
    public async Task Stream_StalledReader_DoesNotStopAnotherStreamOnTheSameSession()
    {
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024 };
        await using var pair = await MuxPair.StartAsync(_materializer, options);
        var (stalledNear, _) = await pair.OpenAsync();
        var (busyNear, busyFar) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        var stalledWrite = ByteStreams.WriteRandomAsync(stalledNear, 10 << 20, seed: 3, cancel.Token);
        var busy = ByteStreams.WriteRandomAsync(busyNear, 16 << 20, seed: 4, cancel.Token);
        var busyRead = await ByteStreams.ReadAllAsync(busyFar, cancel.Token);

        Assert.Equal(await busy, busyRead.Sha256);
        Assert.False(stalledWrite.IsCompleted, "10 MiB into a 64 KiB window with no reader must still be blocked");
        Assert.True(stalledNear.BytesOut <= options.StreamWindow, $"sent {stalledNear.BytesOut} bytes, window {options.StreamWindow}");
    }

    [Fact]
    public async Task Session_PeerVanishes_OpenStreamsFailInsteadOfHanging()
    {
        await using var pair = await MuxPair.StartAsync(_materializer);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var reading = ByteStreams.ReadAllAsync(far, cancel.Token);

        pair.OpenerSocket.LingerState = new LingerOption(true, 0);
        pair.OpenerSocket.Close(); // RST: the peer is gone

        await Assert.ThrowsAsync<StreamResetException>(() => reading);
        await Assert.ThrowsAnyAsync<Exception>(() => pair.Acceptor.Completion.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Session_DataBeyondWindow_ResetsOnlyThatStream()
    {
        var (raw, sessionSocket) = await SocketPair.CreateAsync();
        var events = new RecordingHandler();
        var session = new MuxSession("acceptor", MuxOptions.Default, events);
        session.Start(new SocketChannel(sessionSocket), _materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        await Send(raw, new OpenPayload("a", "x", 1024).ToFrame(1), new OpenPayload("b", "y", 1024).ToFrame(3));
        await Send(raw, Frame.Data(1, new byte[1025]));              // 1 byte over stream 1's window
        await Send(raw, Frame.Data(3, "fine"u8.ToArray()), Frame.Fin(3));

        var reset = await ReadFrameAsync(raw, f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal(1u, reset.StreamId);
        Assert.Equal(ProtocolError.FlowControl, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Code);
        var first = await events.Opened.Reader.ReadAsync(cancel.Token);
        var second = await events.Opened.Reader.ReadAsync(cancel.Token);
        await Assert.ThrowsAsync<StreamResetException>(() => ByteStreams.ReadAllAsync(first, cancel.Token));
        Assert.Equal(4, (await ByteStreams.ReadAllAsync(second, cancel.Token)).Count);
        Assert.False(session.Completion.IsCompleted);
        session.Abort(new IOException("done"));
        raw.Dispose();
    }

    [Fact]
    public async Task Session_GarbageHeader_EndsWithGoAwayNamingTheCause()
    {
        var (raw, sessionSocket) = await SocketPair.CreateAsync();
        var session = new MuxSession("acceptor", MuxOptions.Default, new RecordingHandler());
        session.Start(new SocketChannel(sessionSocket), _materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.SendAsync(new byte[] { 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, SocketFlags.None);

        var goAway = await ReadFrameAsync(raw, f => f.Type == FrameType.GoAway, cancel.Token);
        var reason = ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway);
        Assert.Equal(ProtocolError.UnknownFrameType, reason.Code);
        var error = await Assert.ThrowsAsync<ProtocolException>(() => session.Completion.WaitAsync(Timeout));
        Assert.Equal(ProtocolError.UnknownFrameType, error.Error);
        raw.Dispose();
    }

    [Fact]
    public async Task Session_Ping_MeasuresRoundTrip()
    {
        await using var pair = await MuxPair.StartAsync(_materializer);

        pair.Opener.SendPing();

        AwaitCondition(() => pair.Opener.LastRtt is not null, TimeSpan.FromSeconds(10));
        Assert.True(pair.Opener.LastRtt < TimeSpan.FromSeconds(10));
    }

    private static async Task Send(Socket socket, params Frame[] frames)
    {
        foreach (var frame in frames) await socket.SendAsync(FrameCodec.Encode(frame), SocketFlags.None);
    }

    private static async Task<Frame> ReadFrameAsync(Socket socket, Func<Frame, bool> wanted, CancellationToken cancellationToken)
    {
        var reader = new FrameReader();
        var frames = new List<Frame>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0) throw new EndOfStreamException("carrier closed before the expected frame");
            reader.Feed(buffer.AsSpan(0, n), frames);
            if (frames.FirstOrDefault(wanted) is { Type: not 0 } frame) return frame;
        }
    }
}
