using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>
/// A peer that tries to make the session hold memory or write logs without bound: floods of
/// PINGs, empty or one-byte DATA frames into a stalled stream, OPENs asking for more window
/// than we give, and bursts of bad frames. Each is bounded, and the session stays usable.
/// </summary>
public sealed class MuxHostilePeerTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private readonly IMaterializer _materializer;

    public MuxHostilePeerTests() => _materializer = Sys.Materializer();

    [Fact]
    public async Task PingFlood_FromAPeerThatNeverReads_QueuesAtMostOnePong()
    {
        // A tiny carrier the peer never drains: every PONG we make would have to wait in the control queue.
        await using var raw = RawSession.Start(_materializer, carrierCapacity: 256);
        using var cancel = new CancellationTokenSource(Timeout);

        for (var i = 0; i < 5000; i++) await raw.Peer.SendAsync(cancel.Token, Frame.Ping((ulong)i));
        await raw.Peer.SendAsync(cancel.Token, Frame.Ping(424242));

        // Now drain what the session sent: only a handful of PONGs, the last carrying the latest value.
        var pongs = new List<ulong>();
        while (pongs.LastOrDefault() != 424242ul) // the answer to the last PING (the test's timeout if it never comes)
            pongs.Add(BitConverter.ToUInt64((await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Pong, cancel.Token)).Payload.Span));
        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)); // and nothing after it
        try
        {
            while (true) pongs.Add(BitConverter.ToUInt64((await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Pong, quiet.Token)).Payload.Span));
        }
        catch (OperationCanceledException) { }
        Assert.InRange(pongs.Count, 1, 256 / 17 + 3); // what the tiny carrier buffers, plus the one queued (was one per PING)
        Assert.Equal(424242ul, pongs[^1]);
        Assert.False(raw.Session.Completion.IsCompleted);
    }

    [Fact]
    public async Task EmptyData_ResetsThatStreamInsteadOfQueueing()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame(1), new OpenPayload("b", "y", 1024).ToFrame(3));
        var stalled = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var other = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);

        for (var i = 0; i < 1000; i++) await raw.Peer.SendAsync(cancel.Token, Frame.Data(1, Array.Empty<byte>()));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal(1u, reset.StreamId);
        Assert.Contains("empty DATA", ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Reason);
        Assert.Equal(0, stalled.QueuedChunks);
        await raw.Peer.SendAsync(cancel.Token, Frame.Data(3, "fine"u8.ToArray()), Frame.Fin(3));
        var (count, sha256) = await ByteStreams.ReadAllAsync(other, cancel.Token);
        Assert.Equal((4L, System.Security.Cryptography.SHA256.HashData("fine"u8)), (count, sha256), new BytesTupleComparer());
    }

    [Fact]
    public async Task OneByteDataFrames_IntoAStalledStream_AreCoalescedNotQueuedOneByOne()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        const int window = 64 * 1024;
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", window).ToFrame(1));
        var stream = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var expected = new byte[window];
        new Random(3).NextBytes(expected);

        // The whole window in one-byte frames while nobody reads.
        for (var i = 0; i < window; i += 256)
            await raw.Peer.SendAsync(cancel.Token, Enumerable.Range(i, 256).Select(j => Frame.Data(1, new[] { expected[j] })).ToArray());
        await raw.Peer.SendAsync(cancel.Token, Frame.Fin(1));
        await WaitUntil(() => stream.BytesIn == window, cancel.Token);

        Assert.InRange(stream.QueuedChunks, 1, window / MuxStream.CoalesceBuffer + 1);
        var (count, sha256) = await ByteStreams.ReadAllAsync(stream, cancel.Token);
        Assert.Equal(window, count);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(expected), sha256); // nothing lost or reordered
    }

    [Fact]
    public async Task Open_AskingForMoreWindowThanOurs_IsRefused()
    {
        await using var raw = RawSession.Start(_materializer, MuxOptions.Default with { MaxStreamWindow = 256 * 1024 });
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 256 * 1024 + 1).ToFrame(1));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        var reason = ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst);
        Assert.Equal(ProtocolError.FlowControl, reason.Code);
        Assert.Contains("262144", reason.Reason);
        Assert.Equal(0, raw.Session.StreamCount);
    }

    [Fact]
    public async Task BadFrameBurst_IsReportedAFewTimesNotOncePerFrame()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        // 500 streams each sent a zero WINDOW_UPDATE: each one is a stream error that resets it.
        for (var i = 0; i < 500; i++)
            await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 1024).ToFrame((uint)(2 * i + 1)), Frame.WindowUpdate((uint)(2 * i + 1), 0));
        for (var i = 0; i < 500; i++) await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token); // every stream was reset...
        await WaitUntil(() => raw.Session.StreamCount == 0, cancel.Token);

        Assert.InRange(raw.Events.StreamErrors.Reader.Count, 1, 10); // ...but only a few were reported (logged)
    }

    private sealed class BytesTupleComparer : IEqualityComparer<(long, byte[])>
    {
        public bool Equals((long, byte[]) x, (long, byte[]) y) => x.Item1 == y.Item1 && x.Item2.AsSpan().SequenceEqual(y.Item2);
        public int GetHashCode((long, byte[]) obj) => obj.Item1.GetHashCode();
    }

    private static async Task WaitUntil(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition()) await Task.Delay(20, cancellationToken);
    }
}
