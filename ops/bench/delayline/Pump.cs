using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace TunnelActors.DelayLine;

/// <summary>
/// Carries one direction of one connection over a <see cref="Wire"/>: the reader schedules each
/// chunk and backs off while the wire is full; the writer releases each chunk at its arrival time.
/// The queue between them is bounded by the wire (rate × delay), not by a count.
/// </summary>
public static class Pump
{
    private const int ChunkSize = 64 * 1024;
    private sealed record Chunk(byte[]? Buffer, int Length, long ArrivesAt); // Buffer null: FIN

    public static async Task RunAsync(Socket from, Socket to, Wire wire, CancellationToken cancel)
    {
        var queue = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = WriteAsync(queue.Reader, to, cancel);
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                var n = await from.ReceiveAsync(buffer.AsMemory(0, ChunkSize), SocketFlags.None, cancel);
                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    queue.Writer.TryWrite(new Chunk(null, 0, wire.FinArrivesAt()));
                    break;
                }
                var (arrives, backoff) = wire.Send(n);
                queue.Writer.TryWrite(new Chunk(buffer, n, arrives));
                if (backoff > TimeSpan.Zero) await Task.Delay(backoff, cancel);
            }
        }
        finally { queue.Writer.TryComplete(); }
        await writer;
    }

    private static async Task WriteAsync(ChannelReader<Chunk> queue, Socket to, CancellationToken cancel)
    {
        await foreach (var chunk in queue.ReadAllAsync(cancel))
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), chunk.ArrivesAt);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancel);
            if (chunk.Buffer is null)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }
            await to.SendAsync(chunk.Buffer.AsMemory(0, chunk.Length), SocketFlags.None, cancel);
            ArrayPool<byte>.Shared.Return(chunk.Buffer);
        }
    }
}
