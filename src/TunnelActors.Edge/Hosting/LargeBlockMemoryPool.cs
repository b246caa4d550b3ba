using System.Buffers;
using Microsoft.AspNetCore.Connections;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// Kestrel's memory pool with 64 KiB blocks instead of its default 4 KiB. Kestrel's socket
/// transport receives into one block at a time, and its TLS layer reads decrypted bytes a block
/// at a time: with 4 KiB blocks a bulk stream cost the edge ~64,000 recv calls a second
/// (about 2 KB each, measured with perf). Blocks come from the data path's pool (<see cref="DataBuffers"/>), so an idle
/// connection holds none (Kestrel waits for data before renting one).
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

public sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => minBufferSize <= BlockSize
        ? new Block(DataBuffers.Rent(BlockSize))
        : throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"blocks are {BlockSize} bytes");

    protected override void Dispose(bool disposing) { }

    private sealed class Block(byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned) DataBuffers.Return(returned);
        }
    }
}
