using System.Threading.Channels;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Transport.Tests;

/// <summary>The mux outbox's source: items in order as demanded, woken by a write, ended as the channel ends.</summary>
public sealed class ChannelReaderSourceTests : TestKit
{
    private static Channel<int> NewChannel() => Channel.CreateBounded<int>(new BoundedChannelOptions(4)
    {
        SingleReader = true,
        AllowSynchronousContinuations = true,
    });

    [Fact]
    public async Task EmitsWhatIsWritten_InOrder_AndAWriteWakesAWaitingSource()
    {
        var channel = NewChannel();
        var queue = Source.FromGraph(new ChannelReaderSource<int>(channel.Reader)).RunWith(Sink.Queue<int>(), Sys.Materializer());
        await channel.Writer.WriteAsync(1);
        await channel.Writer.WriteAsync(2);
        Assert.Equal(1, (await queue.PullAsync()).Value);
        Assert.Equal(2, (await queue.PullAsync()).Value);

        var third = queue.PullAsync();
        await Task.Delay(100);
        Assert.False(third.IsCompleted); // nothing queued: the source waits
        Assert.True(channel.Writer.TryWrite(3));
        Assert.Equal(3, (await third.WaitAsync(TimeSpan.FromSeconds(5))).Value);
    }

    [Fact]
    public async Task ChannelCompleted_CompletesAfterTheQueuedItems()
    {
        var channel = NewChannel();
        var all = Source.FromGraph(new ChannelReaderSource<int>(channel.Reader)).RunWith(Sink.Seq<int>(), Sys.Materializer());
        await channel.Writer.WriteAsync(7);
        await channel.Writer.WriteAsync(8);
        channel.Writer.Complete();
        Assert.Equal([7, 8], await all.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task ChannelFailed_FailsTheStage_WithTheCause()
    {
        var channel = NewChannel();
        var all = Source.FromGraph(new ChannelReaderSource<int>(channel.Reader)).RunWith(Sink.Seq<int>(), Sys.Materializer());
        channel.Writer.Complete(new IOException("carrier lost"));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => all.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("carrier lost", error.GetBaseException().Message);
    }
}
