using System.Net;
using System.Net.Sockets;
using System.Text;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>Byte-exactness and TCP semantics through access tcp → edge → tunnel → echo service.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class EchoTests(EchoTunnelFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(13)]
    [InlineData(64 * 1024 + 7)]
    [InlineData(8 * 1024 * 1024)]
    public async Task Echo_StreamOfSize_ReturnsIdenticalBytes(long size)
    {
        var result = await fixture.ExchangeAsync(size, seed: (int)size, Timeout);

        Assert.Equal(size, result.Received);
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
    }

    [Fact]
    public async Task Echo_ZeroByteStream_EndsCleanlyWithoutData()
    {
        var result = await fixture.ExchangeAsync(0, seed: 0, Timeout);

        Assert.Equal(0, result.Received);
    }

    [Fact]
    public async Task Echo_HalfClose_PeerKeepsSendingAfterClientFinished()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, fixture.AccessPort);
        var message = Encoding.ASCII.GetBytes("written before the half-close");
        await socket.SendAsync(message, SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send); // our direction is finished; the echo's is not

        using var cancel = new CancellationTokenSource(Timeout);
        var received = new MemoryStream();
        var buffer = new byte[1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token)) > 0) received.Write(buffer, 0, n);

        Assert.Equal(message, received.ToArray());
    }

    [Fact]
    public async Task Echo_OneGibStream_IsSha256Identical()
    {
        const long size = 1L << 30;
        // 11 s on an idle machine; a saturated one is given its time as long as bytes move (a stall fails within a minute).
        var result = await fixture.ExchangeAsync(size, seed: 42, TimeSpan.FromMinutes(9), stalledAfter: TimeSpan.FromSeconds(60));

        Assert.Equal(size, result.Received);
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
    }

    [Fact]
    public async Task Echo_FiftyConcurrentStreams_AllIntact()
    {
        var exchanges = Enumerable.Range(0, 50)
            .Select(i => fixture.ExchangeAsync(1024 * 1024 + i, seed: i, Timeout));

        var results = await Task.WhenAll(exchanges);

        Assert.All(results, r =>
        {
            Assert.Equal(r.Sent, r.Received);
            Assert.Equal(r.SentSha256, r.ReceivedSha256);
        });
    }
}
