using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Transport.Tests;

/// <summary>What a writer on a <see cref="MuxStream"/> can rely on when the carrier is slow or gone.</summary>
public sealed class MuxWriterTests : TestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly IMaterializer _materializer;

    public MuxWriterTests() => _materializer = Sys.Materializer();

    /// <summary>
    /// The carrier stops taking bytes (the peer stopped reading), so the session's outbox fills
    /// and a writer with plenty of stream credit waits in <see cref="MuxConnection.SendAsync"/>.
    /// When the connection is then torn down, that writer must fail, not wait forever.
    /// </summary>
    [Theory]
    [InlineData("session aborted")]
    [InlineData("peer carrier reset")]
    public async Task Writer_WaitingOnAFullOutboxWhenTheConnectionDies_FailsInsteadOfHanging(string how)
    {
        await using var raw = RawSession.Start(_materializer, MuxOptions.Default with { OutboxFrames = 4, StreamWindow = 64 << 20, MaxStreamWindow = 64 << 20 }, carrierCapacity: 64 * 1024);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await raw.Peer.SendAsync(cancel.Token, new OpenPayload("a", "x", 64 << 20).ToFrame(1)); // lots of credit for the session
        var stream = await raw.Events.Opened.Reader.ReadAsync(cancel.Token);
        var write = ByteStreams.WriteRandomAsync(stream, 32 << 20, seed: 1, cancel.Token); // the raw peer never reads
        await WaitUntilStuckAsync(() => stream.BytesOut);
        Assert.False(write.IsCompleted);

        if (how == "session aborted") raw.Session.Abort(new IOException("operator closed the connection"));
        else raw.PeerCarrier.Abort(new IOException("peer crashed"));

        await Assert.ThrowsAnyAsync<Exception>(() => raw.Session.Completion.WaitAsync(Timeout));
        var error = await Record.ExceptionAsync(() => write.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(error is IOException, $"the blocked writer should fail with an IOException (StreamResetException) once the connection is gone; got {error?.GetType().Name ?? "success"}: {error?.Message}");
    }

    /// <summary>
    /// A caller that asks for a stream just after the connection was lost (the edge's connection
    /// actor may still be routing OPENs to it) must get an error or a stream that resets at once,
    /// never a stream on a dead connection that nothing will ever end.
    /// </summary>
    [Theory]
    [InlineData("session aborted")]
    [InlineData("peer carrier reset")]
    public async Task OpenStream_AfterTheConnectionWasLost_FailsOrResetsInsteadOfHanging(string how)
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        await pair.OpenAsync(); // the connection works
        if (how == "session aborted") pair.Opener.Abort(new TimeoutException("no frame from the connector for 30 s"));
        else pair.AcceptorCarrier.Abort(new IOException("connector crashed"));
        await Assert.ThrowsAnyAsync<Exception>(() => pair.Opener.Completion.WaitAsync(Timeout));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var step = "OpenStreamAsync";
        var outcome = await Record.ExceptionAsync(async () =>
        {
            var stream = await pair.Opener.OpenStreamAsync(new OpenPayload("smb.site.test", "late", 1 << 20), cancel.Token).WaitAsync(TimeSpan.FromSeconds(5));
            step = $"ReadAsync on the stream {stream.Id} it returned";
            await stream.ReadAsync(new byte[1], cancel.Token).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        });

        Assert.True(outcome is IOException or InvalidOperationException,
            $"expected OpenStreamAsync to fail or the stream to reset; {step} ended with {outcome?.GetType().Name ?? "success"}: {outcome?.Message}");
        Assert.Equal(0, pair.Opener.StreamCount);
    }

    /// <summary>
    /// Stream-like contract: once <c>WriteAsync</c> returned, the caller owns its buffer again.
    /// (ByteRelay returns each read buffer to the pool right after its write: it depends on this.)
    /// </summary>
    [Fact]
    public async Task Writer_ReusingItsBufferAfterEachWrite_PeerStillReceivesWhatWasWritten()
    {
        await using var pair = MuxPair.StartInMemory(_materializer);
        var (near, far) = await pair.OpenAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        var written = ByteStreams.WriteRandomAsync(near, 4 << 20, seed: 2, cancel.Token, reuseBuffer: true);
        var read = await ByteStreams.ReadAllAsync(far, cancel.Token).WaitAsync(Timeout);

        Assert.Equal(4L << 20, read.Count);
        Assert.Equal(await written.WaitAsync(Timeout), read.Sha256);
    }

    private static async Task WaitUntilStuckAsync(Func<long> progress)
    {
        var last = -1L;
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
            var now = progress();
            if (now == last && now > 0) return;
            last = now;
        }
        throw new TimeoutException("the writer never stopped making progress");
    }
}
