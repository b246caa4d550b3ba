using System.Diagnostics;
using System.Threading.Channels;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Tests;

/// <summary>
/// A carrier whose writes arrive <c>delay</c> later (one way of a long path), for flow-control
/// tests that need a round trip a window must cover. Test-only: its queue is not bounded.
/// </summary>
public sealed class DelayedChannel : IByteChannel
{
    private readonly IByteChannel _inner;
    private readonly TimeSpan _delay;
    private readonly Channel<(long Due, byte[]? Bytes)> _queue = Channel.CreateUnbounded<(long, byte[]?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;

    public DelayedChannel(IByteChannel inner, TimeSpan delay)
    {
        (_inner, _delay) = (inner, delay);
        _pump = Task.Run(PumpAsync);
    }

    public ValueTask WaitReadableAsync(CancellationToken cancellationToken) => _inner.WaitReadableAsync(cancellationToken);
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        _queue.Writer.TryWrite((Stopwatch.GetTimestamp(), data.ToArray()));
        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryWrite((Stopwatch.GetTimestamp(), null));
        return ValueTask.CompletedTask;
    }

    public void Abort(Exception reason)
    {
        _queue.Writer.TryComplete();
        _inner.Abort(reason);
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var (queuedAt, bytes) in _queue.Reader.ReadAllAsync())
            {
                var wait = _delay - Stopwatch.GetElapsedTime(queuedAt);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                if (bytes is null) await _inner.CompleteWritesAsync(CancellationToken.None);
                else await _inner.WriteAsync(bytes, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
    }
}
