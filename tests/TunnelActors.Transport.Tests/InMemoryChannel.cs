using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Tests;

/// <summary>
/// One direction of an in-memory carrier: a byte buffer of bounded capacity. A writer waits
/// while it is full (like a socket's send buffer), so backpressure is real and memory bounded.
/// One reader and one writer at a time, as <see cref="IByteChannel"/> requires.
/// </summary>
public sealed class BoundedBytePipe(int capacity, string name)
{
    private readonly object _gate = new();
    private readonly Queue<byte[]> _segments = new();
    private int _headOffset;
    private TaskCompletionSource? _dataAvailable;
    private TaskCompletionSource? _spaceAvailable;
    private Exception? _error;
    private bool _writerCompleted;
    private long _buffered;
    private long _maxBuffered;
    private long _totalWritten;

    public string Name { get; } = name;
    public int Capacity { get; } = capacity;
    public long Buffered { get { lock (_gate) return _buffered; } }
    public long MaxBuffered { get { lock (_gate) return _maxBuffered; } }
    public long TotalWritten { get { lock (_gate) return _totalWritten; } }
    public bool WriterCompleted { get { lock (_gate) return _writerCompleted; } }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            Task wait;
            lock (_gate)
            {
                if (_error is not null) throw new IOException($"{Name}: connection reset", _error);
                if (_writerCompleted) throw new InvalidOperationException($"{Name}: write after half-close");
                var room = (int)Math.Min(Capacity - _buffered, data.Length);
                if (room > 0)
                {
                    _segments.Enqueue(data[..room].ToArray()); // the caller may reuse its buffer once we return
                    _buffered += room;
                    _totalWritten += room;
                    _maxBuffered = Math.Max(_maxBuffered, _buffered);
                    data = data[room..];
                    Signal(ref _dataAvailable);
                    continue;
                }
                wait = (_spaceAvailable ??= NewSignal()).Task;
            }
            await wait.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_error is not null) throw new IOException($"{Name}: connection reset", _error);
                if (_buffered > 0)
                {
                    var copied = 0;
                    while (copied < buffer.Length && _segments.TryPeek(out var head))
                    {
                        var n = Math.Min(head.Length - _headOffset, buffer.Length - copied);
                        head.AsSpan(_headOffset, n).CopyTo(buffer.Span[copied..]);
                        copied += n;
                        _headOffset += n;
                        if (_headOffset == head.Length)
                        {
                            _segments.Dequeue();
                            _headOffset = 0;
                        }
                    }
                    _buffered -= copied;
                    Signal(ref _spaceAvailable);
                    return copied;
                }
                if (_writerCompleted) return 0;
                wait = (_dataAvailable ??= NewSignal()).Task;
            }
            await wait.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Half-close: the reader drains what is buffered, then reads 0.</summary>
    public void CompleteWriter()
    {
        lock (_gate)
        {
            _writerCompleted = true;
            Signal(ref _dataAvailable);
        }
    }

    /// <summary>Reset: buffered bytes are dropped, every read and write from now on throws.</summary>
    public void Fail(Exception reason)
    {
        lock (_gate)
        {
            _error ??= reason;
            _segments.Clear();
            _buffered = 0;
            Signal(ref _dataAvailable);
            Signal(ref _spaceAvailable);
        }
    }

    private static void Signal(ref TaskCompletionSource? signal)
    {
        signal?.TrySetResult();
        signal = null;
    }

    // Waiters resume on the thread pool, never inline under our lock or on the signalling stage.
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One end of an in-memory duplex carrier. <see cref="Abort"/> resets both directions, as a TCP RST would.</summary>
public sealed class InMemoryChannel(string name, BoundedBytePipe inbound, BoundedBytePipe outbound) : IByteChannel
{
    private readonly TaskCompletionSource<Exception> _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name { get; } = name;
    public BoundedBytePipe Inbound { get; } = inbound;
    public BoundedBytePipe Outbound { get; } = outbound;

    /// <summary>Completes with the reason once this end was aborted.</summary>
    public Task<Exception> Aborted => _aborted.Task;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => Inbound.ReadAsync(buffer, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => Outbound.WriteAsync(data, cancellationToken);

    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        Outbound.CompleteWriter();
        return ValueTask.CompletedTask;
    }

    public void Abort(Exception reason)
    {
        var reset = new IOException($"{Name} aborted: {reason.Message}", reason);
        Inbound.Fail(reset);
        Outbound.Fail(reset);
        _aborted.TrySetResult(reason);
    }

    public override string ToString() => Name;
}

public static class InMemoryDuplex
{
    /// <summary>Two connected ends; each direction buffers at most <paramref name="capacity"/> bytes.</summary>
    public static (InMemoryChannel A, InMemoryChannel B) CreatePair(int capacity = 128 * 1024, string a = "a", string b = "b")
    {
        var aToB = new BoundedBytePipe(capacity, $"{a}->{b}");
        var bToA = new BoundedBytePipe(capacity, $"{b}->{a}");
        return (new InMemoryChannel(a, inbound: bToA, outbound: aToB), new InMemoryChannel(b, inbound: aToB, outbound: bToA));
    }
}
