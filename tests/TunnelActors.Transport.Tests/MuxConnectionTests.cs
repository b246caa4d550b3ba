using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>Two sessions over an in-memory, bounded carrier: data integrity, half-close, flow control, endings.</summary>
public sealed class MuxConnectionTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly IMaterializer _materializer;

    public MuxConnectionTests() => _materializer = Sys.Materializer();

    [Fact]
    public async Task Stream_SeveralMiBBothWaysAtOnce_ArriveIntactAndInOrder()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        var (near, far) = await pair.OpenAsync(identity: "alice");
        using var cancel = new CancellationTokenSource(Timeout);

        var up = ByteStreams.WriteRandomAsync(near, 6 << 20, seed: 1, cancel.Token);
        var down = ByteStreams.WriteRandomAsync(far, 4 << 20, seed: 2, cancel.Token);
        var upRead = ByteStreams.ReadAllAsync(far, cancel.Token);
        var downRead = ByteStreams.ReadAllAsync(near, cancel.Token);

        Assert.Equal(await up.WaitAsync(Timeout), (await upRead.WaitAsync(Timeout)).Sha256);
        Assert.Equal(await down.WaitAsync(Timeout), (await downRead.WaitAsync(Timeout)).Sha256);
        Assert.Equal((6L << 20, 4L << 20), (near.BytesOut, near.BytesIn));
        Assert.Equal((4L << 20, 6L << 20), (far.BytesOut, far.BytesIn));
        Assert.Equal("alice", far.Open.Identity);
        Assert.Equal("smb.site.test", far.Open.Hostname);
    }

    [Fact]
    public async Task Stream_HalfClose_PeerReadsEndWhileTheOtherDirectionStillWorks()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        var up = ByteStreams.WriteRandomAsync(near, 1 << 20, seed: 3, cancel.Token); // ...then FIN
        var upRead = await ByteStreams.ReadAllAsync(far, cancel.Token).WaitAsync(Timeout);
        Assert.Equal(await up, upRead.Sha256);
        Assert.Equal(0, await far.ReadAsync(new byte[16], cancel.Token)); // the end stays the end
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await near.WriteAsync(new byte[1], cancel.Token));

        // near finished sending; far can still answer and near still reads it.
        var down = ByteStreams.WriteRandomAsync(far, 2 << 20, seed: 4, cancel.Token, finish: false);
        var downRead = await ByteStreams.ReadExactlyAsync(near, 2 << 20, cancel.Token).WaitAsync(Timeout);
        Assert.Equal(await down.WaitAsync(Timeout), downRead);

        await far.CompleteWritesAsync(cancel.Token);
        Assert.Equal(0, await near.ReadAsync(new byte[16], cancel.Token).AsTask().WaitAsync(Timeout));

        // Both directions finished: both sessions forget the stream.
        AwaitCondition(() => pair.Opener.StreamCount == 0 && pair.Acceptor.StreamCount == 0, Timeout);
    }

    [Fact]
    public async Task Streams_ManyAtOnceWithSmallFrames_EachArrivesIntactAndInOrder()
    {
        // 4 KiB DATA frames: the carrier interleaves frames of every stream.
        var options = MuxOptions.Default with { Limits = FrameLimits.Default with { MaxDataChunk = 4 * 1024 } };
        await using var pair = MuxPair.StartInMemory(_materializer, options);
        using var cancel = new CancellationTokenSource(Timeout);
        var streams = new List<(MuxStream Near, MuxStream Far)>();
        for (var i = 0; i < 8; i++) streams.Add(await pair.OpenAsync(identity: $"client-{i}"));

        var transfers = streams.Select(async (s, i) =>
        {
            var up = ByteStreams.WriteRandomAsync(s.Near, (1 << 20) + i * 777, seed: 100 + i, cancel.Token);
            var down = ByteStreams.WriteRandomAsync(s.Far, (512 << 10) + i * 333, seed: 200 + i, cancel.Token);
            var upRead = ByteStreams.ReadAllAsync(s.Far, cancel.Token);
            var downRead = ByteStreams.ReadAllAsync(s.Near, cancel.Token);
            Assert.Equal(await up, (await upRead).Sha256);
            Assert.Equal(await down, (await downRead).Sha256);
            Assert.Equal($"client-{i}", s.Far.Open.Identity);
        }).ToArray();

        await Task.WhenAll(transfers).WaitAsync(Timeout);
    }

    [Fact]
    public async Task FlowControl_StalledReader_BlocksItsWriterWithinTheWindowWhileAnotherStreamCompletes()
    {
        const uint window = 64 * 1024;
        var options = MuxOptions.Default with { StreamWindow = window };
        await using var pair = MuxPair.StartInMemory(_materializer, options);
        var (stalledNear, stalledFar) = await pair.OpenAsync(identity: "stalled");
        var (busyNear, busyFar) = await pair.OpenAsync(identity: "busy");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // Watch the stalled stream while the busy one runs: neither end may hold more than a window.
        long maxReceived = 0, maxSent = 0;
        using var stopWatching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                maxReceived = Math.Max(maxReceived, stalledFar.BytesIn);
                maxSent = Math.Max(maxSent, stalledNear.BytesOut);
                await Task.Delay(1);
            }
        });

        var stalledWrite = ByteStreams.WriteRandomAsync(stalledNear, 10 << 20, seed: 5, cancel.Token);
        var busyWrite = ByteStreams.WriteRandomAsync(busyNear, 16 << 20, seed: 6, cancel.Token);
        var busyRead = await ByteStreams.ReadAllAsync(busyFar, cancel.Token).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(await busyWrite.WaitAsync(Timeout), busyRead.Sha256);
        Assert.Equal(16L << 20, busyRead.Count);

        await Task.Delay(300); // give a buggy writer time to run ahead
        await stopWatching.CancelAsync();
        await watcher.WaitAsync(Timeout);
        Assert.False(stalledWrite.IsCompleted, "10 MiB into a 64 KiB window with no reader must still be blocked");
        Assert.True(maxReceived <= window, $"the receiver buffered {maxReceived} bytes, window {window}");
        Assert.True(maxSent <= window, $"the writer sent {maxSent} bytes, window {window}");
        Assert.Equal(stalledFar.BytesIn, stalledNear.BytesOut);
        // What an operator reads about the stall: the writer waits for its stream's credit, the far end holds the window unread.
        Assert.Contains("send credit 0 B, writer waits for stream credit", stalledNear.DescribeFlow());
        Assert.Contains($"receive window {window} B, {window} B buffered, reader not waiting", stalledFar.DescribeFlow());

        // Once the reader reads, the blocked writer resumes and every byte arrives.
        var stalledRead = await ByteStreams.ReadAllAsync(stalledFar, cancel.Token).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(await stalledWrite.WaitAsync(Timeout), stalledRead.Sha256);
        Assert.Equal(10L << 20, stalledRead.Count);
    }

    [Fact]
    public async Task FlowControl_CarrierBuffer_StaysBoundedWhileStreamsAreStalled()
    {
        const int carrierCapacity = 32 * 1024;
        var options = MuxOptions.Default with { StreamWindow = 256 * 1024 };
        await using var pair = MuxPair.StartInMemory(_materializer, options, carrierCapacity);
        using var cancel = new CancellationTokenSource(Timeout);
        var streams = new List<(MuxStream Near, MuxStream Far)>();
        for (var i = 0; i < 4; i++) streams.Add(await pair.OpenAsync());

        var writes = streams.Select((s, i) => ByteStreams.WriteRandomAsync(s.Near, 4 << 20, seed: 10 + i, cancel.Token)).ToArray();
        AwaitCondition(() => streams.Sum(s => s.Far.BytesIn) == 4 * 256 * 1024, Timeout);
        await Task.Delay(200);

        Assert.All(writes, w => Assert.False(w.IsCompleted));
        Assert.Equal(4 * 256 * 1024, streams.Sum(s => s.Far.BytesIn)); // exactly the windows, no more
        var carrier = ((InMemoryChannel)pair.OpenerCarrier).Outbound;
        Assert.True(carrier.MaxBuffered <= carrierCapacity, $"carrier held {carrier.MaxBuffered} bytes");

        var reads = streams.Select(s => ByteStreams.ReadAllAsync(s.Far, cancel.Token)).ToArray();
        for (var i = 0; i < writes.Length; i++) Assert.Equal(await writes[i].WaitAsync(Timeout), (await reads[i].WaitAsync(Timeout)).Sha256);
    }

    [Fact]
    public async Task Session_Ping_MeasuresRoundTrip()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);

        pair.Opener.SendPing();

        AwaitCondition(() => pair.Opener.LastRtt is not null, Timeout);
        Assert.True(pair.Opener.LastRtt < Timeout);
        Assert.True(pair.Acceptor.SinceLastFrame < Timeout);
    }

    [Fact]
    public async Task Session_Close_TellsThePeerWithGoAwayAndBothEndCleanly()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var farRead = ByteStreams.ReadAllAsync(far, cancel.Token);

        pair.Opener.Close(ProtocolError.None, "maintenance");

        var goAway = await pair.AcceptorEvents.Control.Reader.ReadAsync(cancel.Token);
        Assert.Equal(FrameType.GoAway, goAway.Type);
        Assert.Equal(new ReasonPayload(ProtocolError.None, "maintenance"), ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway));
        await pair.Opener.Completion.WaitAsync(Timeout);
        await pair.Acceptor.Completion.WaitAsync(Timeout);
        // Streams still open when the connection ended are reset, not left waiting.
        await Assert.ThrowsAsync<StreamResetException>(() => farRead.WaitAsync(Timeout));
        await Assert.ThrowsAsync<StreamResetException>(async () => await near.ReadAsync(new byte[1], cancel.Token).AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Acceptor.OpenStreamAsync(new OpenPayload("h", "i", 1024), cancel.Token));
    }

    [Fact]
    public async Task Session_GoAway_RefusesNewStreamsButKeepsCarryingOpenOnes()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        pair.Acceptor.GoAway("draining");

        var goAway = await pair.OpenerEvents.Control.Reader.ReadAsync(cancel.Token);
        Assert.Equal("draining", ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway).Reason);
        await Assert.ThrowsAsync<InvalidOperationException>(() => pair.Opener.OpenStreamAsync(new OpenPayload("h", "i", 1024), cancel.Token));
        await ByteStreams.TransferAsync(near, far, 3 << 20, seed: 7, cancel.Token, Timeout);
        Assert.False(pair.Opener.Completion.IsCompleted);
    }

    [Fact]
    public async Task Session_PeerCarrierAborted_OpenStreamsResetInsteadOfHanging()
    {
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024 };
        await using var pair = MuxPair.StartInMemory(_materializer, options);
        var (near1, far1) = await pair.OpenAsync();
        var (near2, _) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var waitingRead = ByteStreams.ReadAllAsync(far1, cancel.Token);                         // a reader waiting for data
        var blockedWrite = ByteStreams.WriteRandomAsync(near2, 1 << 20, seed: 8, cancel.Token); // a writer waiting for credit
        AwaitCondition(() => near2.BytesOut == 64 * 1024, Timeout);

        pair.OpenerCarrier.Abort(new IOException("opener vanished")); // the edge process died: its connection is reset

        var readError = await Assert.ThrowsAsync<StreamResetException>(() => waitingRead.WaitAsync(Timeout));
        Assert.Contains("connection lost", readError.Message);
        await Assert.ThrowsAsync<StreamResetException>(async () => await far1.ReadAsync(new byte[1], cancel.Token).AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<StreamResetException>(() => blockedWrite.WaitAsync(Timeout));
        await Assert.ThrowsAsync<StreamResetException>(async () => await near1.ReadAsync(new byte[1], cancel.Token).AsTask().WaitAsync(Timeout));
        await ByteStreams.FailsWith<IOException>(pair.Acceptor.Completion, Timeout);
        await ByteStreams.FailsWith<IOException>(pair.Opener.Completion, Timeout);
        Assert.Equal(0, pair.Acceptor.StreamCount);
    }

    [Fact]
    public async Task Session_Aborted_WriterWaitingForCreditFailsAndReaderFails()
    {
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024 };
        await using var pair = MuxPair.StartInMemory(_materializer, options);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var blockedWrite = ByteStreams.WriteRandomAsync(near, 1 << 20, seed: 9, cancel.Token);
        AwaitCondition(() => far.BytesIn == 64 * 1024, Timeout);

        pair.Opener.Abort(new IOException("operator closed the connection"));

        await Assert.ThrowsAsync<StreamResetException>(() => blockedWrite.WaitAsync(Timeout));
        var error = await ByteStreams.FailsWith<IOException>(pair.Opener.Completion, Timeout);
        // The cause is either the abort reason itself or the carrier reset it led to (which names it).
        Assert.Contains("operator closed", error.ToString());
        // The acceptor sees its carrier reset and resets its end too.
        await Assert.ThrowsAsync<StreamResetException>(() => ByteStreams.ReadAllAsync(far, cancel.Token).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Stream_AbortedLocally_PeerSeesResetWithTheReasonAndOtherStreamsGoOn()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        var (near1, far1) = await pair.OpenAsync();
        var (near2, far2) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var farRead = ByteStreams.ReadAllAsync(far1, cancel.Token);

        near1.Abort(new ProtocolException(ProtocolError.Refused, "origin refused the connection"));

        var error = await Assert.ThrowsAsync<StreamResetException>(() => farRead.WaitAsync(Timeout));
        Assert.Equal(ProtocolError.Refused, error.Code);
        Assert.Contains("origin refused the connection", error.Reason);
        await Assert.ThrowsAsync<StreamResetException>(async () => await near1.WriteAsync(new byte[1], cancel.Token));
        await ByteStreams.TransferAsync(near2, far2, 3 << 20, seed: 11, cancel.Token, Timeout);
    }
}
