using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Transport.Tests;

/// <summary>The stream under the client's TLS: fewer, larger receives, every byte in order, nothing held while idle.</summary>
public sealed class ReadAheadStreamTests
{
    /// <summary>An inner stream that has <see cref="Pending"/> bytes ready and counts how it was read.</summary>
    private sealed class CountingStream : Stream
    {
        public int Pending;
        public int Reads;
        public int ZeroByteReads;
        private byte _next;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0)
            {
                ZeroByteReads++;
                return ValueTask.FromResult(0);
            }
            Reads++;
            var n = Math.Min(buffer.Length, Pending);
            for (var i = 0; i < n; i++) buffer.Span[i] = _next++;
            Pending -= n;
            return ValueTask.FromResult(n);
        }

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public async Task SmallReads_AreServedFromOneReceive_InOrder()
    {
        var inner = new CountingStream { Pending = 40_000 };
        var stream = new ReadAheadStream(inner);
        var received = new List<byte>();
        var buffer = new byte[5_000]; // about what SslStream asks for
        for (var i = 0; i < 8; i++)
        {
            var n = await stream.ReadAsync(buffer);
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        Assert.Equal(40_000, received.Count);
        Assert.Equal(Enumerable.Range(0, 40_000).Select(i => (byte)i), received);
        Assert.Equal(1, inner.Reads);
        Assert.Equal(1, inner.ZeroByteReads); // the first fill waited for data first
    }

    [Fact]
    public async Task ReadsOfAFullBuffer_GoStraightToTheSocket()
    {
        var inner = new CountingStream { Pending = 200_000 };
        var stream = new ReadAheadStream(inner);

        Assert.Equal(ReadAheadStream.BufferSize, await stream.ReadAsync(new byte[ReadAheadStream.BufferSize]));
        Assert.Equal((1, 0), (inner.Reads, inner.ZeroByteReads));
    }

    [Fact]
    public async Task AfterAFullFill_TheNextFillDoesNotWaitFirst_AfterAPartialOneItDoes()
    {
        var inner = new CountingStream { Pending = ReadAheadStream.BufferSize + 10 };
        var stream = new ReadAheadStream(inner);
        var buffer = new byte[16 * 1024];
        var drained = 0;
        for (var i = 0; i < 4; i++) drained += await stream.ReadAsync(buffer); // the first, full, fill
        Assert.Equal((ReadAheadStream.BufferSize, 1), (drained, inner.ZeroByteReads));

        Assert.Equal(10, await stream.ReadAsync(buffer)); // a bulk transfer pays no readiness wait
        Assert.Equal(1, inner.ZeroByteReads);

        inner.Pending = 5;
        Assert.Equal(5, await stream.ReadAsync(buffer)); // after a partial fill, it waits for data first
        Assert.Equal(2, inner.ZeroByteReads);
    }

    [Fact]
    public async Task OverARealSocket_EveryByteArrivesInOrder_AndTheEndIsReported()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var server = await listener.AcceptAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var random = new Random(5);
        var sent = new byte[3 << 20];
        random.NextBytes(sent);
        var writer = Task.Run(async () =>
        {
            for (var offset = 0; offset < sent.Length;)
            {
                var n = Math.Min(random.Next(1, 100_000), sent.Length - offset);
                await server.SendAsync(sent.AsMemory(offset, n), SocketFlags.None, cancel.Token);
                offset += n;
            }
            server.Shutdown(SocketShutdown.Send);
        });

        await using var stream = new ReadAheadStream(new NetworkStream(client, ownsSocket: false));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reads = new Random(6);
        long total = 0;
        int read;
        do
        {
            var buffer = new byte[reads.Next(1, 2 * ReadAheadStream.BufferSize)];
            read = await stream.ReadAsync(buffer, cancel.Token);
            hash.AppendData(buffer, 0, read);
            total += read;
        } while (read > 0);
        await writer;

        Assert.Equal(sent.Length, total);
        Assert.Equal(SHA256.HashData(sent), hash.GetHashAndReset());
    }
}
