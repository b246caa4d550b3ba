namespace TunnelActors.Transport.Channels;

/// <summary>
/// A duplex byte pipe with half-close: a socket, a WebSocket carrying raw bytes, or one mux
/// stream. Exactly one reader and one writer use it at a time (the two directions of a relay).
/// </summary>
public interface IByteChannel
{
    /// <summary>
    /// Completes when a read would not wait (data, end of stream or an error is there), without
    /// taking a buffer: an idle connection then holds no read buffer (a zero-byte read).
    /// </summary>
    ValueTask WaitReadableAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Reads at least one byte into <paramref name="buffer"/>; 0 means the peer finished sending.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="data"/>; completes when the channel accepted it (backpressure).</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Half-close: no more writes; reading goes on.</summary>
    ValueTask CompleteWritesAsync(CancellationToken cancellationToken);

    /// <summary>Hard stop in both directions, telling the peer why where the carrier can.</summary>
    void Abort(Exception reason);
}
