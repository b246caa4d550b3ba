using System.Security.Cryptography;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Tests;

public static class ByteStreams
{
    public static async Task<byte[]> WriteRandomAsync(IByteChannel channel, long bytes, int seed, CancellationToken cancellationToken, bool finish = true)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(seed);
        for (var left = bytes; left > 0;)
        {
            var chunk = new byte[(int)Math.Min(48 * 1024, left)];
            random.NextBytes(chunk);
            hash.AppendData(chunk);
            await channel.WriteAsync(chunk, cancellationToken);
            left -= chunk.Length;
        }
        if (finish) await channel.CompleteWritesAsync(cancellationToken);
        return hash.GetHashAndReset();
    }

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
}
