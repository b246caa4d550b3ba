using System.Security.Cryptography;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Tests;

public static class ByteStreams
{
    /// <summary>
    /// Writes <paramref name="bytes"/> seeded random bytes (then half-closes unless told not to); returns their SHA-256.
    /// Each write gets a fresh buffer, as <c>ByteChannelSource</c> hands out, unless <paramref name="reuseBuffer"/>.
    /// </summary>
    public static async Task<byte[]> WriteRandomAsync(IByteChannel channel, long bytes, int seed, CancellationToken cancellationToken,
        bool finish = true, int chunkSize = 48 * 1024, bool reuseBuffer = false)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(seed);
        var chunk = new byte[chunkSize];
        for (var left = bytes; left > 0;)
        {
            if (!reuseBuffer) chunk = new byte[chunkSize];
            var n = (int)Math.Min(chunk.Length, left);
            random.NextBytes(chunk.AsSpan(0, n));
            hash.AppendData(chunk, 0, n);
            await channel.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
            left -= n;
        }
        if (finish) await channel.CompleteWritesAsync(cancellationToken);
        return hash.GetHashAndReset();
    }

    public static byte[] Sha256OfRandom(long bytes, int seed, int chunkSize = 48 * 1024)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(seed);
        var chunk = new byte[chunkSize];
        for (var left = bytes; left > 0;)
        {
            var n = (int)Math.Min(chunk.Length, left);
            random.NextBytes(chunk.AsSpan(0, n));
            hash.AppendData(chunk, 0, n);
            left -= n;
        }
        return hash.GetHashAndReset();
    }

    /// <summary>Reads until the peer finishes (ReadAsync returns 0).</summary>
    public static async Task<(long Count, byte[] Sha256)> ReadAllAsync(IByteChannel channel, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[40 * 1024];
        long total = 0;
        int n;
        while ((n = await channel.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        return (total, hash.GetHashAndReset());
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes without waiting for the end of the stream.</summary>
    public static async Task<byte[]> ReadExactlyAsync(IByteChannel channel, long count, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[40 * 1024];
        for (var left = count; left > 0;)
        {
            var n = await channel.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
            if (n == 0) throw new EndOfStreamException($"stream ended {left} bytes early");
            hash.AppendData(buffer, 0, n);
            left -= n;
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Writes random bytes into <paramref name="writer"/> (then half-closes) while reading <paramref name="reader"/>
    /// to its end, both at once; asserts what arrived is what was sent.
    /// </summary>
    public static async Task TransferAsync(IByteChannel writer, IByteChannel reader, long bytes, int seed, CancellationToken cancellationToken, TimeSpan timeout)
    {
        var write = WriteRandomAsync(writer, bytes, seed, cancellationToken);
        var read = ReadAllAsync(reader, cancellationToken);
        await Task.WhenAll(write, read).WaitAsync(timeout);
        Assert.Equal(bytes, read.Result.Count);
        Assert.Equal(write.Result, read.Result.Sha256);
    }

    /// <summary>
    /// Awaits a task expected to fail with <typeparamref name="T"/>. Failures that went through an
    /// Akka kill switch arrive wrapped in an AggregateException (KillSwitch fails stages with
    /// Task.Exception), so a single-exception wrapper is looked through.
    /// </summary>
    public static async Task<T> FailsWith<T>(Task task, TimeSpan timeout) where T : Exception
    {
        var error = await Record.ExceptionAsync(() => task.WaitAsync(timeout));
        while (error is AggregateException { InnerExceptions.Count: 1 } aggregate) error = aggregate.InnerExceptions[0];
        return Assert.IsAssignableFrom<T>(error);
    }
}
