using TunnelActors.Edge.Hosting;

namespace TunnelActors.Edge.Tests;

public sealed class LargeBlockMemoryPoolTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(2048)] // what Kestrel's socket transport asks for
    [InlineData(LargeBlockMemoryPool.BlockSize)]
    public void Rent_AnySizeUpToABlock_GivesAWholeBlock(int size)
    {
        using var pool = new LargeBlockMemoryPoolFactory().Create();
        using var block = pool.Rent(size);
        Assert.Equal(LargeBlockMemoryPool.BlockSize, block.Memory.Length);
        Assert.Equal(LargeBlockMemoryPool.BlockSize, pool.MaxBufferSize);
    }

    [Fact]
    public void Rent_MoreThanABlock_IsRefused()
    {
        using var pool = new LargeBlockMemoryPool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));
    }

    [Fact]
    public void Block_DisposedTwice_ReturnsOnce_AndCannotBeUsedAfter()
    {
        using var pool = new LargeBlockMemoryPool();
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();
        Assert.Throws<ObjectDisposedException>(() => block.Memory);
    }
}
