using TunnelActors.Protocol;

namespace TunnelActors.Transport.Tls;

/// <summary>
/// A socket stream that receives up to 64 KiB per call for the TLS layer above it. SslStream
/// asks its inner stream for about one record at a time: on a bulk stream that was ~8 KB per
/// recv call (a connector made 127,000 of them in 5 s). The buffer is rented only while it
/// holds unread bytes, and after a partial fill the next one first waits for data with a
/// zero-byte read, so an idle connection holds no buffer. Writes pass straight through.
/// </summary>
public sealed class ReadAheadStream(Stream inner) : Stream
{
    public const int BufferSize = 64 * 1024;

    private byte[]? _buffer;
    private int _start;
    private int _end;
    private bool _lastFillFull;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_buffer is null)
        {
            if (destination.Length == 0 || destination.Length >= BufferSize) return await inner.ReadAsync(destination, cancellationToken);
            if (!_lastFillFull) _ = await inner.ReadAsync(Memory<byte>.Empty, cancellationToken); // waits for data, reads none
            var buffer = DataBuffers.Rent(BufferSize);
            var filled = await inner.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken);
            _lastFillFull = filled == BufferSize;
            if (filled == 0)
            {
                DataBuffers.Return(buffer);
                return 0;
            }
            (_buffer, _start, _end) = (buffer, 0, filled);
        }
        return TakeBuffered(destination.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        _buffer is null ? inner.Read(buffer, offset, count) : TakeBuffered(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();

    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        if (_start == _end)
        {
            DataBuffers.Return(_buffer);
            _buffer = null;
        }
        return count;
    }
}
