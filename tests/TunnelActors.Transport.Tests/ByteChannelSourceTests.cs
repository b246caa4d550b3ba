using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Transport.Tests;

/// <summary>The source takes a read buffer only when data is there, except straight after a full read.</summary>
public sealed class ByteChannelSourceTests : TestKit
{
    /// <summary>A channel whose readiness the test controls; counts reads and the buffers they got.</summary>
    private sealed class GatedChannel(int chunk) : IByteChannel
    {
        public TaskCompletionSource Readable { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Reads;
        public int Waits;
        public int Available;

        public ValueTask WaitReadableAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Waits);
            return new(Readable.Task.WaitAsync(cancellationToken));
        }

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Reads);
            var n = Math.Min(Math.Min(buffer.Length, Available), chunk);
            Available -= n;
            return ValueTask.FromResult(n);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask CompleteWritesAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public void Abort(Exception reason) { }
    }

    [Fact]
    public async Task Source_IdleChannel_TakesNoBufferUntilDataIsThere()
    {
        var channel = new GatedChannel(chunk: 100) { Available = 100 };
        var received = Source.FromGraph(new ByteChannelSource(channel, 1024)).Take(1).RunWith(Sink.Seq<ReadOnlyMemory<byte>>(), Sys.Materializer());

        await Task.Delay(200);
        var readsWhileIdle = channel.Reads;
        channel.Readable.SetResult();
        var chunks = await received.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, readsWhileIdle);
        Assert.Equal(100, Assert.Single(chunks).Length);
    }

    [Fact]
    public async Task Source_AfterAFullRead_ReadsAgainWithoutWaiting()
    {
        // Bulk data: every read fills the buffer, so readiness is never asked after the first.
        var channel = new GatedChannel(chunk: 1024) { Available = 3 * 1024 };
        channel.Readable.SetResult();
        var received = Source.FromGraph(new ByteChannelSource(channel, 1024)).Take(3).RunWith(Sink.Seq<ReadOnlyMemory<byte>>(), Sys.Materializer());
        var chunks = await received.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, channel.Waits); // only before the first read
        Assert.Equal(3, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(1024, c.Length));
    }
}
