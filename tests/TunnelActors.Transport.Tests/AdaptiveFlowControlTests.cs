using System.Diagnostics;
using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>The auto-tuner's decisions, with the clock in the test's hands.</summary>
public sealed class WindowTunerTests
{
    private static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(40);
    private static readonly long Start = Stopwatch.GetTimestamp();
    // A fixed origin: the test's own pace (a GC, a preempted thread) must not move the instants it names.
    private static long At(double ms) => Start + (long)(ms / 1000 * Stopwatch.Frequency);

    [Fact]
    public void GrantsComingFasterThanARoundTrip_DoubleTheWindowUpToTheMaximum()
    {
        var budget = new WindowBudget(1L << 30);
        var tuner = new WindowTuner(initial: 64 * 1024, maximum: 1024 * 1024, budget);
        uint window = 64 * 1024;
        var windows = new List<uint>();
        for (var i = 0; i <= 6; i++) windows.Add(window = tuner.OnGrant(window, Rtt, At(i * 10)));

        Assert.Equal([64 * 1024, 128 * 1024, 256 * 1024, 512 * 1024, 1024 * 1024, 1024 * 1024, 1024 * 1024], windows);
        Assert.Equal(1024 * 1024 - 64 * 1024, budget.Reserved);
    }

    [Fact]
    public void GrantsSlowerThanARoundTrip_OrAnUnknownRoundTrip_LeaveTheWindowAlone()
    {
        var tuner = new WindowTuner(64 * 1024, 1024 * 1024, new WindowBudget(1L << 30));

        Assert.Equal(64u * 1024, tuner.OnGrant(64 * 1024, Rtt, At(0))); // the first grant only starts the clock
        Assert.Equal(64u * 1024, tuner.OnGrant(64 * 1024, Rtt, At(100)));
        Assert.Equal(64u * 1024, tuner.OnGrant(64 * 1024, Rtt, At(200)));
        Assert.Equal(64u * 1024, tuner.OnGrant(64 * 1024, rtt: null, At(201)));
    }

    [Fact]
    public void AnExhaustedBudget_AtAnyLevel_StopsGrowth_AndReleaseGivesItBack()
    {
        var process = new WindowBudget(100 * 1024);
        var connection = new WindowBudget(1L << 30, process);
        var tuner = new WindowTuner(64 * 1024, 1024 * 1024, connection);

        tuner.OnGrant(64 * 1024, Rtt, At(0));
        var window = tuner.OnGrant(64 * 1024, Rtt, At(1));   // +64 KiB fits the process's 100 KiB
        Assert.Equal(128u * 1024, window);
        Assert.Equal(window, tuner.OnGrant(window, Rtt, At(2))); // +128 KiB does not
        Assert.Equal((64L * 1024, 64L * 1024), (connection.Reserved, process.Reserved));

        tuner.Release();
        Assert.Equal((0L, 0L), (connection.Reserved, process.Reserved));
    }

    [Fact]
    public void AStreamIdleLongerThanTheThreshold_ShrinksToItsInitialWindow_AndReleasesOnlyWhatIsPaidBack()
    {
        var budget = new WindowBudget(1L << 30);
        var tuner = new WindowTuner(64 * 1024, 1024 * 1024, budget);
        tuner.OnGrant(64 * 1024, Rtt, At(0));
        var window = tuner.OnGrant(64 * 1024, Rtt, At(1));

        Assert.Equal(128u * 1024, window);
        Assert.Equal(window, tuner.OnIdleCheck(window, TimeSpan.FromSeconds(10), At(5_000)));
        Assert.Equal(64u * 1024, tuner.OnIdleCheck(window, TimeSpan.FromSeconds(10), At(11_000)));
        // The peer may still send (or we still buffer) the old window: nothing is given back yet.
        tuner.Settle(64 * 1024, deficit: 64 * 1024, peerFinished: false, buffered: 128 * 1024);
        Assert.Equal(64 * 1024, budget.Reserved);
        tuner.Settle(64 * 1024, deficit: 16 * 1024, peerFinished: false, buffered: 80 * 1024);
        Assert.Equal(16 * 1024, budget.Reserved);
        tuner.Settle(64 * 1024, deficit: 0, peerFinished: false, buffered: 0);
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public void OnceThePeerFinished_TheReservationDrainsWithTheBuffer()
    {
        var budget = new WindowBudget(1L << 30);
        var tuner = new WindowTuner(64 * 1024, 1024 * 1024, budget);
        tuner.OnGrant(64 * 1024, Rtt, At(0));
        tuner.OnGrant(tuner.OnGrant(64 * 1024, Rtt, At(1)), Rtt, At(2)); // 256 KiB

        tuner.Settle(256 * 1024, deficit: 0, peerFinished: true, buffered: 200 * 1024);
        Assert.Equal(200 * 1024 - 64 * 1024, budget.Reserved);
        tuner.Settle(256 * 1024, deficit: 0, peerFinished: true, buffered: 10 * 1024);
        Assert.Equal(0, budget.Reserved);
    }
}

/// <summary>Auto-tuned stream windows over a long path, and the connection window shared by all streams.</summary>
public sealed class AdaptiveFlowControlTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly IMaterializer _materializer;

    public AdaptiveFlowControlTests() => _materializer = Sys.Materializer();

    [Fact]
    public async Task OverALongPath_AReaderThatKeepsUp_GrowsItsWindow_AndAnIdleOneGivesItBack()
    {
        var budget = new WindowBudget(1L << 30);
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024, MaxStreamWindow = 4 << 20, WindowBudget = budget, IdleWindowAfter = TimeSpan.FromMilliseconds(200) };
        await using var pair = MuxPair.StartWithDelay(_materializer, TimeSpan.FromMilliseconds(20), options);
        await WaitForRttAsync(pair.Acceptor);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        var sent = ByteStreams.WriteRandomAsync(near, 16 << 20, seed: 1, cancel.Token);
        var read = await ByteStreams.ReadAllAsync(far, cancel.Token).WaitAsync(Timeout);

        Assert.Equal(await sent, read.Sha256);
        Assert.True(far.ReceiveWindow > 64 * 1024, $"the window stayed at {far.ReceiveWindow} though the reader kept up over a 40 ms round trip");
        Assert.InRange(far.ReceiveWindow, 64u * 1024, 4u << 20);
        Assert.Equal(0, budget.Reserved); // the writer finished and everything was read: the growth is not needed any more

        await Task.Delay(400);
        pair.Acceptor.ShrinkIdleWindows();
        Assert.Equal(64u * 1024, far.ReceiveWindow);
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public async Task OverALongPath_ASlowReader_KeepsItsInitialWindow()
    {
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024, MaxStreamWindow = 4 << 20, WindowBudget = new WindowBudget(1L << 30) };
        await using var pair = MuxPair.StartWithDelay(_materializer, TimeSpan.FromMilliseconds(20), options);
        await WaitForRttAsync(pair.Acceptor);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        _ = ByteStreams.WriteRandomAsync(near, 1 << 20, seed: 2, cancel.Token);
        var buffer = new byte[16 * 1024];
        // 16 KiB every 200 ms: a grant every 400 ms, ten round trips; slower if the one measured round trip was slow (a cold start).
        var pace = TimeSpan.FromMilliseconds(Math.Clamp(3 * pair.Acceptor.LastRtt!.Value.TotalMilliseconds, 200, 2000));
        for (var i = 0; i < 8; i++)
        {
            await far.ReadAsync(buffer, cancel.Token);
            await Task.Delay(pace);
        }

        Assert.Equal(64u * 1024, far.ReceiveWindow);
    }

    [Fact]
    public async Task StalledReaders_HoldOnlyTheirOwnWindows_NotTheConnectionsCredit_AndEveryByteStillArrivesOnceRead()
    {
        const uint connectionWindow = 256 * 1024;
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024, MaxStreamWindow = 64 * 1024, ConnectionWindow = connectionWindow };
        await using var pair = Negotiated(MuxPair.StartInMemory(_materializer, options));
        using var cancel = new CancellationTokenSource(Timeout);
        var streams = new List<(MuxStream Near, MuxStream Far)>();
        for (var i = 0; i < 8; i++) streams.Add(await pair.OpenAsync());

        // Eight stalled readers: their windows (512 KiB together) are more than the connection window.
        var writes = streams.Select((s, i) => ByteStreams.WriteRandomAsync(s.Near, 1 << 20, seed: 10 + i, cancel.Token)).ToList();
        await WaitUntilStuckAsync(() => streams.Sum(s => s.Far.BytesIn));
        Assert.All(streams, s => Assert.Equal(64 * 1024, s.Far.BytesIn)); // each holds its window, no more, no less
        Assert.True(streams.Sum(s => s.Far.BytesIn) > connectionWindow);

        // While they stay stalled, a new stream still moves more than the whole connection window.
        var (freshNear, freshFar) = await pair.OpenAsync();
        var fresh = ByteStreams.WriteRandomAsync(freshNear, 2 << 20, seed: 99, cancel.Token);
        var freshRead = ByteStreams.ReadAllAsync(freshFar, cancel.Token);
        Assert.Equal(await fresh.WaitAsync(Timeout), (await freshRead.WaitAsync(Timeout)).Sha256);

        // Reset half of them with data unread, read the rest to the end.
        foreach (var (near, far) in streams.Take(4)) far.Abort(new OperationCanceledException("reader went away"));
        var reads = streams.Skip(4).Select(s => ByteStreams.ReadAllAsync(s.Far, cancel.Token)).ToList();
        for (var i = 0; i < 4; i++)
            Assert.Equal(await writes[4 + i].WaitAsync(Timeout), (await reads[i].WaitAsync(Timeout)).Sha256);
    }

    [Fact]
    public async Task AStalledReaderWhoseWindowShrinks_KeepsItsBudget_UntilWhatItHoldsIsRead()
    {
        var budget = new WindowBudget(1L << 30);
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024, MaxStreamWindow = 4 << 20, WindowBudget = budget, IdleWindowAfter = TimeSpan.FromMilliseconds(200) };
        await using var pair = MuxPair.StartWithDelay(_materializer, TimeSpan.FromMilliseconds(20), options);
        await WaitForRttAsync(pair.Acceptor);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        var sent = ByteStreams.WriteRandomAsync(near, 32 << 20, seed: 5, cancel.Token);
        var buffer = new byte[64 * 1024];
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        long read = 0;
        while (read < 8 << 20)
        {
            var n = await far.ReadAsync(buffer, cancel.Token);
            hash.AppendData(buffer, 0, n);
            read += n;
        }
        Assert.True(far.ReceiveWindow > 64 * 1024, "the window should have grown while the reader kept up");

        // The reader stops: its window fills, then it is idle long enough to shrink.
        await WaitUntilStuckAsync(() => far.BytesIn);
        await Task.Delay(400);
        pair.Acceptor.ShrinkIdleWindows();
        var held = far.BytesIn - read;
        Assert.Equal(64u * 1024, far.ReceiveWindow);
        Assert.True(held > 64 * 1024, $"only {held} bytes were buffered");
        Assert.True(budget.Reserved >= held - 64 * 1024, $"{held} bytes are still buffered but only {budget.Reserved} stay reserved");

        while (true)
        {
            var n = await far.ReadAsync(buffer, cancel.Token);
            if (n == 0) break;
            hash.AppendData(buffer, 0, n);
        }
        Assert.Equal(await sent, hash.GetHashAndReset());
        Assert.Equal(0, budget.Reserved);
    }

    [Fact]
    public async Task ConnectionWindow_OneStalledReader_DoesNotStallTheOtherStreams()
    {
        var options = MuxOptions.Default with { StreamWindow = 64 * 1024, MaxStreamWindow = 1 << 20, ConnectionWindow = 4 << 20 };
        await using var pair = Negotiated(MuxPair.StartInMemory(_materializer, options));
        using var cancel = new CancellationTokenSource(Timeout);
        var (stalledNear, _) = await pair.OpenAsync();
        var stalled = ByteStreams.WriteRandomAsync(stalledNear, 8 << 20, seed: 1, cancel.Token);

        var opened = new List<(MuxStream Near, MuxStream Far)>();
        for (var i = 0; i < 4; i++) opened.Add(await pair.OpenAsync());
        var busy = await Task.WhenAll(opened.Select(async (s, i) =>
        {
            var sent = ByteStreams.WriteRandomAsync(s.Near, 8 << 20, seed: 2 + i, cancel.Token);
            var read = ByteStreams.ReadAllAsync(s.Far, cancel.Token);
            return (await sent, (await read).Sha256);
        })).WaitAsync(Timeout);

        Assert.All(busy, b => Assert.Equal(b.Item1, b.Item2));
        Assert.False(stalled.IsCompleted);
    }

    [Fact]
    public async Task APeerOverrunningTheConnectionWindow_LosesTheConnectionWithFlowControl()
    {
        var options = MuxOptions.Default with { StreamWindow = 128 * 1024, ConnectionWindow = 32 * 1024 };
        await using var raw = RawSession.Start(_materializer, options);
        raw.Session.EnableConnectionWindow(1 << 20);
        using var cancel = new CancellationTokenSource(Timeout);

        // The stream's own window allows the frame; the connection's credit does not.
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 128 * 1024).ToFrame(1));
        await raw.Peer.SendAsync(cancel.Token, Frame.Data(1, new byte[40_000]));

        var goAway = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.GoAway, cancel.Token);
        var reason = ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway);
        Assert.Equal(ProtocolError.FlowControl, reason.Code);
        Assert.Contains("connection window", reason.Reason);
    }

    [Fact]
    public async Task AConnectionWindowUpdate_WithoutAnAgreedConnectionWindow_IsAProtocolError()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendAsync(cancel.Token, Frame.WindowUpdate(0, 1024));

        var goAway = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.GoAway, cancel.Token);
        Assert.Contains("not allowed on stream 0", ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway).Reason);
    }

    [Fact]
    public async Task APongThatAnswersNoPingWeSent_SetsNoRoundTrip()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        var ping = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Ping, cancel.Token);

        await raw.Peer.SendAsync(cancel.Token, Frame.Pong(BitConverter.GetBytes(1UL)), Frame.Pong(BitConverter.GetBytes(ulong.MaxValue)));
        await raw.Peer.SendAsync(cancel.Token, Frame.Ping(7UL)); // a round trip of our own, to know the PONGs were read
        await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Pong, cancel.Token);
        Assert.Null(raw.Session.LastRtt);

        await raw.Peer.SendAsync(cancel.Token, Frame.Pong(ping.Payload.ToArray()));
        await WaitForRttAsync(raw.Session);
    }

    [Fact]
    public async Task ARegisteredFrame_TurnsTheConnectionWindowOn_OnlyAfterOurOwnRegister()
    {
        await using var raw = RawSession.Start(_materializer);
        using var cancel = new CancellationTokenSource(Timeout);
        var registered = new RegisteredPayload("conn-1", "edge", 1 << 20).ToFrame();

        await raw.Peer.SendAsync(cancel.Token, registered);
        Assert.Equal(FrameType.Registered, (await raw.Events.Control.Reader.ReadAsync(cancel.Token)).Type);
        Assert.False(raw.Session.HasConnectionWindow); // an edge or a peer link never turns it on for a peer's say-so

        raw.Session.AwaitRegistered();
        await raw.Peer.SendAsync(cancel.Token, registered);
        for (var waited = Stopwatch.StartNew(); !raw.Session.HasConnectionWindow && waited.Elapsed < Timeout; ) await Task.Delay(10);
        Assert.True(raw.Session.HasConnectionWindow);
    }

    /// <summary>
    /// A connection-level grant is queued without waiting (the dispatcher never waits) and, when the control queue is
    /// full, owed until the next DATA. A peer that has spent its credit sends none: the keep-alive tick must send it.
    /// </summary>
    [Fact]
    public async Task AConnectionGrantThatFoundTheControlQueueFull_GoesOutWithTheNextKeepAlive()
    {
        const int window = 64 * 1024;
        await using var raw = RawSession.Start(_materializer, MuxOptions.Default with { ConnectionWindow = window, ControlFrames = 1 }, carrierCapacity: 4 * 1024);
        using var cancel = new CancellationTokenSource(Timeout);
        var (_, writing) = await BlockWriterAndFillControlQueueAsync(raw, cancel.Token);
        await raw.Peer.SendAsync(cancel.Token, Frame.Data(1, new byte[12 * 1024]), Frame.Data(1, new byte[12 * 1024])); // past a quarter of the window: a grant is due

        using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token))
        {
            quiet.CancelAfter(TimeSpan.FromMilliseconds(500)); // draining what was queued brings no grant: it was owed
            var early = await Record.ExceptionAsync(() => raw.Peer.ReadFrameAsync(f => f.Type == FrameType.WindowUpdate && f.StreamId == 0, quiet.Token));
            Assert.True(early is OperationCanceledException, "the grant went out with what was queued: it was never owed, and this test tests nothing");
        }
        Assert.Null(raw.Session.KeepAlive(TimeSpan.FromMinutes(1), "the raw peer"));

        var grant = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.WindowUpdate && f.StreamId == 0, cancel.Token);
        Assert.Equal(24u * 1024, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(grant.Payload.Span));
        await writing.WaitAsync(cancel.Token);
    }

    /// <summary>A stream reset while the control queue is full still tells the peer (RST) once there is room: its reader would otherwise wait forever.</summary>
    [Fact]
    public async Task AResetWhileTheControlQueueIsFull_ReachesThePeerOnceThereIsRoom()
    {
        await using var raw = RawSession.Start(_materializer, MuxOptions.Default with { ControlFrames = 1 }, carrierCapacity: 4 * 1024);
        using var cancel = new CancellationTokenSource(Timeout);
        var (stream, _) = await BlockWriterAndFillControlQueueAsync(raw, cancel.Token);

        stream.Abort(new TunnelActors.Transport.Channels.StreamEndedException("closed by an operator"));

        var reset = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal((1u, "closed by an operator"), (reset.StreamId, ReasonPayload.Parse(reset.Payload.Span, FrameType.Rst).Reason));
        Assert.NotNull(stream.ResetError);
    }

    // The raw peer opens stream 1 and reads nothing: the session's 2 MiB write (all queued: the outbox takes 64 frames of
    // 64 KiB) fills the carrier and its writer's batches, then control frames (small: thousands fit in a batch) fill the
    // rest until the control queue refuses more.
    private static async Task<(MuxStream Stream, Task Writing)> BlockWriterAndFillControlQueueAsync(RawSession raw, CancellationToken cancellationToken)
    {
        const int written = 2 << 20;
        raw.Session.EnableConnectionWindow(written);
        await raw.Peer.SendAsync(cancellationToken, new OpenPayload("a", "x", written).ToFrame(1));
        var stream = await raw.Events.Opened.Reader.ReadAsync(cancellationToken);
        var writing = stream.WriteAsync(new byte[written], cancellationToken).AsTask();
        for (long before = -1; stream.BytesOut != before; await Task.Delay(200, cancellationToken)) before = stream.BytesOut; // all queued, nothing moves
        // Full for good: refused for two seconds on end (a writer that is only slow on a busy machine takes some again).
        var refused = 0;
        for (var i = 1; i < 200_000 && refused < 40; i++)
        {
            if (raw.Session.TrySend(Frame.Ping((ulong)i))) refused = 0;
            else
            {
                refused++;
                await Task.Delay(50, cancellationToken);
            }
        }
        Assert.Equal(40, refused);
        return (stream, writing);
    }

    private static MuxPair Negotiated(MuxPair pair)
    {
        pair.Opener.EnableConnectionWindow(pair.Acceptor.Options.ConnectionWindow);
        pair.Acceptor.EnableConnectionWindow(pair.Opener.Options.ConnectionWindow);
        return pair;
    }

    private static async Task WaitForRttAsync(MuxConnection connection)
    {
        for (var waited = Stopwatch.StartNew(); connection.LastRtt is null && waited.Elapsed < Timeout; ) await Task.Delay(10);
        Assert.NotNull(connection.LastRtt);
    }

    // Stuck: no progress for a whole second (a writer starved for a moment on a busy machine is not stuck).
    private static async Task WaitUntilStuckAsync(Func<long> progress)
    {
        var deadline = Stopwatch.StartNew();
        var (last, still) = (-1L, 0);
        while (still < 10)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"still moving after 60 s ({last} bytes)");
            await Task.Delay(100);
            var now = progress();
            still = now == last && now > 0 ? still + 1 : 0;
            last = now;
        }
    }
}

/// <summary>What a connection accepts from a peer that opens streams (a client's carrier).</summary>
public sealed class AcceptedOpenTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnOpenAnnouncingMoreThanTheMaxOpenWindow_IsReset()
    {
        await using var raw = RawSession.Start(Sys.Materializer(), MuxOptions.Default with { MaxOpenWindow = 128 * 1024 });
        using var cancel = new CancellationTokenSource(Timeout);

        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 16 << 20).ToFrame(1));

        var rst = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst, cancel.Token);
        Assert.Equal(ProtocolError.FlowControl, ReasonPayload.Parse(rst.Payload.Span, FrameType.Rst).Code);
        Assert.Equal(0, raw.Session.StreamCount);
    }

    [Fact]
    public async Task AfterWeSentGoAway_AnOpenIsRefused_ButAGoAwayFromThePeerRefusesNothing()
    {
        await using var raw = RawSession.Start(Sys.Materializer());
        using var cancel = new CancellationTokenSource(Timeout);
        await raw.Peer.SendAsync(cancel.Token, new ReasonPayload(ProtocolError.None, "peer drains").ToFrame(FrameType.GoAway, 0), new OpenPayload("a", "x", 65536).ToFrame(1));
        Assert.Equal(1u, (await raw.Events.Opened.Reader.ReadAsync(cancel.Token)).Id);

        raw.Session.GoAway("we drain");
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 65536).ToFrame(3));

        var rst = await raw.Peer.ReadFrameAsync(f => f.Type == FrameType.Rst && f.StreamId == 3, cancel.Token);
        Assert.Contains("draining", ReasonPayload.Parse(rst.Payload.Span, FrameType.Rst).Reason);
    }
}
