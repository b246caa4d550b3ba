using System.Net.WebSockets;
using System.Security.Cryptography;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// Per-stream credit: a client that stops reading stalls its own stream only. Both streams
/// run over one connector connection (--ha-connections 1), so they share the mux connection.
/// </summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class FlowControlTests(EchoTunnelFixture fixture)
{
    private const string Hostname = "stall.site.test";

    [Fact]
    public async Task Stream_StalledReaderOnSameConnection_DoesNotStopAnotherStream()
    {
        await using var connector = await fixture.Rig.StartTunnel(Hostname, fixture.Echo.Port, haConnections: 1);

        // Stream A: writes 256 MiB into the echo but never reads the echo back (windows and kernel buffers on the way hold tens of MiB).
        using var stalled = await fixture.Rig.ConnectClient(Hostname);
        using var stopStalled = new CancellationTokenSource();
        var stalledWrites = WriteAsync(stalled, 256L << 20, stopStalled.Token);

        // Stream B on the same connection moves 32 MiB both ways, intact.
        using var healthy = await fixture.Rig.ConnectClient(Hostname);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var sending = WriteAsync(healthy, 32L << 20, timeout.Token, closeWhenDone: true);
        var received = await ReadAllAsync(healthy, timeout.Token);
        var sentSha256 = await sending;

        Assert.Equal(32L << 20, received.Count);
        Assert.Equal(sentSha256, received.Sha256);
        // A is held back by credit, not buffered without bound: its writer is still blocked.
        Assert.False(stalledWrites.IsCompleted, "the stalled stream's 256 MiB should not all have been accepted");
        stopStalled.Cancel();
        await Assert.ThrowsAnyAsync<Exception>(() => stalledWrites);
    }

    private static async Task<byte[]> WriteAsync(ClientWebSocket socket, long bytes, CancellationToken cancellationToken, bool closeWhenDone = false)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(1);
        var chunk = new byte[16 * 1024]; // cloudflared sends at most 16 KiB per message
        for (var left = bytes; left > 0;)
        {
            var n = (int)Math.Min(chunk.Length, left);
            random.NextBytes(chunk.AsSpan(0, n));
            hash.AppendData(chunk, 0, n);
            await socket.SendAsync(chunk.AsMemory(0, n), WebSocketMessageType.Binary, true, cancellationToken);
            left -= n;
        }
        if (closeWhenDone) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        return hash.GetHashAndReset();
    }

    private static async Task<(long Count, byte[] Sha256)> ReadAllAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close) return (total, hash.GetHashAndReset());
            hash.AppendData(buffer, 0, result.Count);
            total += result.Count;
        }
    }
}
