using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Transport.Tests;

/// <summary>A pooled buffer is handed back only once nothing can touch it any more.</summary>
public sealed class PooledBufferOwnershipTests : TestKit
{
    /// <summary>A channel whose writes complete when the test says so.</summary>
    private sealed class SlowWriteChannel : IByteChannel
    {
        public TaskCompletionSource WriteDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<ReadOnlyMemory<byte>> WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            WriteStarted.TrySetResult(data);
            return new ValueTask(WriteDone.Task);
        }

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => ValueTask.FromResult(0);
        public ValueTask WaitReadableAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public ValueTask CompleteWritesAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
        public void Abort(Exception reason) { }
    }

    [Fact]
    public async Task Sink_HandsAChunkBack_OnlyAfterItsWriteCompleted()
    {
        var channel = new SlowWriteChannel();
        var handedBack = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var chunk = new ReadOnlyMemory<byte>(new byte[] { 1, 2, 3 });
        var done = Source.Single(chunk).RunWith(Sink.FromGraph(new ByteChannelSink(channel, c => handedBack.TrySetResult(c))), Sys.Materializer());

        await channel.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(200);
        Assert.False(handedBack.Task.IsCompleted, "the chunk was handed back while its write was still in flight");

        channel.WriteDone.SetResult();
        Assert.True(chunk.Equals(await handedBack.Task.WaitAsync(TimeSpan.FromSeconds(5))));
        Assert.Equal(3, await done.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Sink_KeepsAChunkWhoseWriteFailed()
    {
        var channel = new SlowWriteChannel();
        var handedBack = 0;
        var done = Source.Single(new ReadOnlyMemory<byte>(new byte[8]))
            .RunWith(Sink.FromGraph(new ByteChannelSink(channel, _ => Interlocked.Increment(ref handedBack))), Sys.Materializer());

        await channel.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        channel.WriteDone.SetException(new IOException("peer gone"));

        await Assert.ThrowsAsync<IOException>(() => done.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, handedBack); // the channel may still hold it: it is left to the GC
    }

    [Fact]
    public async Task Decoder_HandsEachChunkBack_AfterCopyingWhatItKeeps()
    {
        var encoded = FrameCodec.Encode(Frame.Data(1, new byte[] { 9, 8, 7, 6 }));
        var chunks = new[] { encoded.AsMemory(0, 5), encoded.AsMemory(5) }.Select(m => (ReadOnlyMemory<byte>)m.ToArray()).ToArray();
        var handedBack = new List<ReadOnlyMemory<byte>>();

        var frames = await Source.From(chunks)
            .Via(new FrameDecoderStage(FrameLimits.Default, c =>
            {
                handedBack.Add(c);
                System.Runtime.InteropServices.MemoryMarshal.AsMemory(c).Span.Fill(0xee); // reused at once: decoded frames must not change
            }))
            .RunWith(Sink.Seq<Frame>(), Sys.Materializer());

        Assert.Equal(2, handedBack.Count);
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, Assert.Single(frames).Payload.ToArray());
    }

    [Fact]
    public void DataBuffers_IgnoreArraysNoPoolHandsOut()
    {
        DataBuffers.Return(new byte[100]);       // not a pool size: ignored, not thrown
        DataBuffers.Return(ReadOnlyMemory<byte>.Empty);
        var rented = DataBuffers.Rent(1000);
        Assert.True(rented.Length >= 1000);
        DataBuffers.Return(rented.AsMemory(0, 10)); // a slice returns its whole array
    }
}
