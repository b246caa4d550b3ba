using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Stages;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Transport.Tests;

public sealed class ByteRelayTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>client ⇄ relay(left, right) ⇄ server, each hop an in-memory carrier.</summary>
    private sealed record Hops(InMemoryChannel Client, InMemoryChannel Left, InMemoryChannel Right, InMemoryChannel Server, Task<RelayResult> Relay);

    private Hops StartRelay(int capacity = 64 * 1024)
    {
        var (client, left) = InMemoryDuplex.CreatePair(capacity, "client", "relay-left");
        var (right, server) = InMemoryDuplex.CreatePair(capacity, "relay-right", "server");
        var relay = ByteRelay.Run(left, right, Sys.Materializer()).Completion;
        return new Hops(client, left, right, server, relay);
    }

    [Fact]
    public async Task Relay_BetweenInMemoryChannels_CopiesBothWaysWithHalfClose()
    {
        var hops = StartRelay();
        using var cancel = new CancellationTokenSource(Timeout);

        var up = ByteStreams.WriteRandomAsync(hops.Client, 4 << 20, seed: 1, cancel.Token); // ...then half-close
        var upRead = await ByteStreams.ReadAllAsync(hops.Server, cancel.Token).WaitAsync(Timeout);
        Assert.Equal(await up.WaitAsync(Timeout), upRead.Sha256);
        Assert.False(hops.Relay.IsCompleted, "one direction finished; the other is still open");

        // The server answers after the client finished sending: half-close, not close.
        var down = ByteStreams.WriteRandomAsync(hops.Server, 2 << 20, seed: 2, cancel.Token);
        var downRead = await ByteStreams.ReadAllAsync(hops.Client, cancel.Token).WaitAsync(Timeout);
        Assert.Equal(await down.WaitAsync(Timeout), downRead.Sha256);

        var result = await hops.Relay.WaitAsync(Timeout);
        Assert.Equal((4L << 20, 2L << 20), (result.AToB, result.BToA));
        Assert.False(hops.Left.Aborted.IsCompleted || hops.Right.Aborted.IsCompleted, "a clean relay aborts nothing");
    }

    [Fact]
    public async Task Relay_AbortedByItsOwner_StopsBothDirectionsWithTheReason()
    {
        var (client, left) = InMemoryDuplex.CreatePair(64 * 1024, "client", "relay-left");
        var (right, server) = InMemoryDuplex.CreatePair(64 * 1024, "relay-right", "server");
        var relay = ByteRelay.Run(left, right, Sys.Materializer());
        using var cancel = new CancellationTokenSource(Timeout);
        await client.WriteAsync(new byte[] { 1, 2, 3 }, cancel.Token);
        var first = new byte[3];
        Assert.Equal(3, await server.ReadAsync(first, cancel.Token)); // running both ways before the abort

        relay.Abort(new IOException("the stream actor stopped"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => relay.Completion.WaitAsync(Timeout));
        Assert.Contains("the stream actor stopped", error.GetBaseException().Message);
        // Its failure ends both channels too, as any failed relay does.
        await Task.WhenAll(left.Aborted, right.Aborted).WaitAsync(Timeout);
    }

    [Fact]
    public async Task Relay_AbortedWhileASinkWaitsToHalfClose_StillStops()
    {
        // The client sends a little and finishes: that direction's source and kill switch are done, and its
        // sink waits to pass the half-close on (a mux FIN behind a full outbox does). Only cancellation ends that.
        var (client, left) = InMemoryDuplex.CreatePair(64 * 1024, "client", "relay-left");
        var (right, server) = InMemoryDuplex.CreatePair(64 * 1024, "relay-right", "server");
        var stuck = new HalfCloseNeverFinishes(right);
        var relay = ByteRelay.Run(left, stuck, Sys.Materializer());
        using var cancel = new CancellationTokenSource(Timeout);
        await client.WriteAsync(new byte[] { 1, 2, 3 }, cancel.Token);
        await client.CompleteWritesAsync(cancel.Token);
        Assert.Equal(3, await server.ReadAsync(new byte[3], cancel.Token));
        await stuck.HalfCloseStarted.Task.WaitAsync(Timeout);

        relay.Abort(new IOException("the stream actor stopped"));

        await Assert.ThrowsAnyAsync<Exception>(() => relay.Completion.WaitAsync(Timeout));
        await Task.WhenAll(left.Aborted, right.Aborted).WaitAsync(Timeout);
    }

    /// <summary>A channel whose half-close waits until it is cancelled.</summary>
    private sealed class HalfCloseNeverFinishes(InMemoryChannel inner) : IByteChannel
    {
        public TaskCompletionSource HalfCloseStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => inner.ReadAsync(buffer, cancellationToken);
        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.WriteAsync(data, cancellationToken);
        public void Abort(Exception reason) => inner.Abort(reason);

        public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
        {
            HalfCloseStarted.TrySetResult();
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, cancellationToken);
        }
    }

    [Fact]
    public async Task Relay_OneSideAborts_AbortsBothSidesAndFails()
    {
        var hops = StartRelay();
        using var cancel = new CancellationTokenSource(Timeout);
        var serverRead = ByteStreams.ReadAllAsync(hops.Server, cancel.Token);
        await hops.Client.WriteAsync(new byte[1000], cancel.Token);

        hops.Client.Abort(new IOException("client crashed"));

        await ByteStreams.FailsWith<IOException>(hops.Relay, Timeout);
        await hops.Left.Aborted.WaitAsync(Timeout);
        await hops.Right.Aborted.WaitAsync(Timeout);
        // The server sees a reset, not a clean end it could mistake for a finished upload.
        await Assert.ThrowsAsync<IOException>(() => serverRead.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Relay_FailureWhileTheOtherSideIsBackpressured_StillAbortsBoth()
    {
        var hops = StartRelay(capacity: 32 * 1024);
        using var cancel = new CancellationTokenSource(Timeout);
        var clientWrite = ByteStreams.WriteRandomAsync(hops.Client, 8 << 20, seed: 3, cancel.Token); // the server never reads
        AwaitCondition(() => hops.Server.Inbound.Buffered == 32 * 1024 && hops.Left.Inbound.Buffered == 32 * 1024, Timeout);
        Assert.False(clientWrite.IsCompleted);

        hops.Server.Abort(new IOException("server crashed"));

        await ByteStreams.FailsWith<IOException>(hops.Relay, Timeout);
        await hops.Left.Aborted.WaitAsync(Timeout);
        await hops.Right.Aborted.WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<IOException>(() => clientWrite.WaitAsync(Timeout));
        // Relay memory stayed bounded by the carriers while the server was stalled.
        Assert.True(hops.Right.Outbound.MaxBuffered <= 32 * 1024);
    }

    /// <summary>What the connector does: relay a mux stream to a local TCP-like channel.</summary>
    [Fact]
    public async Task Relay_MuxStreamToChannel_CarriesBytesBothWaysWithHalfClose()
    {
        await using var pair = MuxPair.StartInMemory(Sys.Materializer());
        var (client, stream) = await pair.OpenAsync();
        var (origin, originSide) = InMemoryDuplex.CreatePair(64 * 1024, "origin", "relay");
        var relay = ByteRelay.Run(stream, originSide, Sys.Materializer()).Completion;
        using var cancel = new CancellationTokenSource(Timeout);

        await ByteStreams.TransferAsync(client, origin, 3 << 20, seed: 4, cancel.Token, Timeout);
        await ByteStreams.TransferAsync(origin, client, 1 << 20, seed: 5, cancel.Token, Timeout);

        var result = await relay.WaitAsync(Timeout);
        Assert.Equal((3L << 20, 1L << 20), (result.AToB, result.BToA));
    }

    [Fact]
    public async Task Relay_MuxConnectionLost_AbortsTheLocalChannel()
    {
        await using var pair = MuxPair.StartInMemory(Sys.Materializer());
        var (_, stream) = await pair.OpenAsync();
        var (origin, originSide) = InMemoryDuplex.CreatePair(64 * 1024, "origin", "relay");
        var relay = ByteRelay.Run(stream, originSide, Sys.Materializer()).Completion;
        using var cancel = new CancellationTokenSource(Timeout);
        var originRead = ByteStreams.ReadAllAsync(origin, cancel.Token);

        pair.OpenerCarrier.Abort(new IOException("edge vanished"));

        await ByteStreams.FailsWith<IOException>(relay, Timeout);
        await originSide.Aborted.WaitAsync(Timeout);
        await Assert.ThrowsAsync<IOException>(() => originRead.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Relay_BetweenTwoSocketPairs_CopiesBothWaysWithHalfClose()
    {
        var (clientEnd, relayLeft) = await SocketPair.CreateAsync();
        var (relayRight, serverEnd) = await SocketPair.CreateAsync();
        using var client = new SocketChannel(clientEnd);
        using var server = new SocketChannel(serverEnd);
        using var cancel = new CancellationTokenSource(Timeout);

        var relay = ByteRelay.Run(new SocketChannel(relayLeft), new SocketChannel(relayRight), Sys.Materializer()).Completion;
        var up = ByteStreams.WriteRandomAsync(client, 4 << 20, 1, cancel.Token);
        var upRead = await ByteStreams.ReadAllAsync(server, cancel.Token);
        var down = ByteStreams.WriteRandomAsync(server, 2 << 20, 2, cancel.Token);
        var downRead = await ByteStreams.ReadAllAsync(client, cancel.Token);

        Assert.Equal(await up, upRead.Sha256);
        Assert.Equal(await down, downRead.Sha256);
        var result = await relay.WaitAsync(cancel.Token);
        Assert.Equal((4L << 20, 2L << 20), (result.AToB, result.BToA));
    }

    [Fact]
    public async Task Relay_OneSocketResets_AbortsTheOtherSide()
    {
        var (clientEnd, relayLeft) = await SocketPair.CreateAsync();
        var (relayRight, serverEnd) = await SocketPair.CreateAsync();
        using var server = new SocketChannel(serverEnd);
        using var cancel = new CancellationTokenSource(Timeout);
        var relay = ByteRelay.Run(new SocketChannel(relayLeft), new SocketChannel(relayRight), Sys.Materializer()).Completion;

        new SocketChannel(clientEnd).Abort(new IOException("client crashed"));

        await Assert.ThrowsAnyAsync<Exception>(() => relay.WaitAsync(cancel.Token));
        // The server side must see its connection end (reset or EOF) rather than wait forever.
        try { await ByteStreams.ReadAllAsync(server, cancel.Token); }
        catch (Exception e) when (e is not OperationCanceledException) { }
        Assert.False(cancel.IsCancellationRequested, "the server side was left hanging");
    }
}

/// <summary>The mux over a real loopback TCP carrier.</summary>
public sealed class MuxOverTcpTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stream_OverTcpBothDirectionsWithHalfClose_ArriveIntact()
    {
        await using var pair = await MuxPair.StartOverTcpAsync(Sys.Materializer());
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        await ByteStreams.TransferAsync(near, far, 5 << 20, seed: 1, cancel.Token, Timeout);
        await ByteStreams.TransferAsync(far, near, 3 << 20, seed: 2, cancel.Token, Timeout); // after near's half-close
    }

    [Fact]
    public async Task Session_TcpPeerResets_OpenStreamsFailInsteadOfHanging()
    {
        await using var pair = await MuxPair.StartOverTcpAsync(Sys.Materializer());
        var (_, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var reading = ByteStreams.ReadAllAsync(far, cancel.Token);

        pair.OpenerCarrier.Abort(new IOException("edge died")); // RST: the peer is gone

        await Assert.ThrowsAsync<StreamResetException>(() => reading.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<Exception>(() => pair.Acceptor.Completion.WaitAsync(Timeout));
    }
}

public sealed class FrameDecoderStageTests : TestKit
{
    [Fact]
    public async Task Decoder_FramesCutIntoAnyChunks_EmitsTheSameFrames()
    {
        var frames = Enumerable.Range(1, 50).Select(i => Frame.Data((uint)i, new byte[i * 100])).Append(Frame.Fin(3)).ToArray();
        var bytes = frames.SelectMany(f => FrameCodec.Encode(f)).ToArray();
        var chunks = new List<ReadOnlyMemory<byte>>();
        for (var offset = 0; offset < bytes.Length; offset += 777) chunks.Add(bytes.AsMemory(offset, Math.Min(777, bytes.Length - offset)));

        var decoded = await Akka.Streams.Dsl.Source.From(chunks)
            .Via(new FrameDecoderStage(FrameLimits.Default))
            .RunWith(Akka.Streams.Dsl.Sink.Seq<Frame>(), Sys.Materializer())
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(frames.Select(f => (f.Type, f.StreamId, f.Payload.Length)), decoded.Select(f => (f.Type, f.StreamId, f.Payload.Length)));
    }

    [Fact]
    public async Task Decoder_UpstreamEndsMidFrame_FailsWithTruncated()
    {
        var bytes = FrameCodec.Encode(Frame.Data(1, new byte[100]));

        var run = Akka.Streams.Dsl.Source.Single<ReadOnlyMemory<byte>>(bytes.AsMemory(0, 50))
            .Via(new FrameDecoderStage(FrameLimits.Default))
            .RunWith(Akka.Streams.Dsl.Sink.Seq<Frame>(), Sys.Materializer());

        var error = await Assert.ThrowsAsync<ProtocolException>(() => run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ProtocolError.Truncated, error.Error);
    }
}
