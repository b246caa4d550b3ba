using System.Diagnostics;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// One TCP conversation inside a <see cref="MuxConnection"/>. Inbound DATA is queued up to the
/// receive window (the peer cannot send more without violating flow control); writes wait
/// for send credit (the stream's, then the connection's), so a stalled reader on one stream
/// never blocks another. The receive window is auto-tuned (<see cref="WindowTuner"/>).
/// Inbound payloads are pooled: returned once read out (or when the stream resets). Writes
/// copy into pooled frames, so the caller owns its buffer again when WriteAsync returns.
/// Thread-safe between the connection's dispatcher, one reader and one writer.
/// </summary>
public sealed class MuxStream : IByteChannel
{
    private readonly MuxConnection _connection;
    private readonly object _gate = new();
    private readonly CreditWindow _window;
    private readonly WindowTuner _tuner;
    private readonly Queue<ReadOnlyMemory<byte>> _inbound = new();
    // Small DATA payloads are copied together here instead of each taking a queue entry: a peer
    // sending one-byte frames into a stalled stream costs its window in bytes, not a million entries.
    private byte[]? _small;
    private int _smallLength;
    private ReadOnlyMemory<byte> _headChunk; // the chunk being read, taken off the queue (returned to the pool when read out)
    private ReadOnlyMemory<byte> _head;      // its unread rest
    private TaskCompletionSource? _readable;
    private TaskCompletionSource? _writable;
    private StreamResetException? _reset;
    private bool _remoteFinished;
    private bool _localFinished;
    private long _bytesIn;
    private long _buffered; // queued for the reader and not yet read
    private long _bytesOut;
    private int _awaitingConnectionCredit; // 1 while the writer waits for the connection's credit, for DescribeFlow

    internal MuxStream(MuxConnection connection, uint id, OpenPayload open, uint sendWindow, uint receiveWindow)
    {
        (_connection, Id, Open) = (connection, id, open);
        _window = new CreditWindow(sendWindow, receiveWindow);
        _tuner = new WindowTuner(receiveWindow, Math.Max(receiveWindow, connection.Options.MaxStreamWindow), connection.Budget);
    }

    public uint Id { get; }

    /// <summary>When the stream was opened (or accepted) here.</summary>
    public DateTimeOffset OpenedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>What the opener asked for: hostname, client identity.</summary>
    public OpenPayload Open { get; }

    /// <summary>Below this a DATA payload is coalesced (<see cref="CoalesceBuffer"/> bytes at a time) rather than queued.</summary>
    public const int SmallPayload = 1024;
    public const int CoalesceBuffer = 16 * 1024;

    /// <summary>Entries queued for the reader (for tests and ops): at most window ÷ <see cref="SmallPayload"/> + window ÷ <see cref="CoalesceBuffer"/>.</summary>
    public int QueuedChunks
    {
        get { lock (_gate) return _inbound.Count + (_smallLength > 0 ? 1 : 0); }
    }

    /// <summary>The current receive window (auto-tuned), for tests and ops.</summary>
    public uint ReceiveWindow
    {
        get { lock (_gate) return _window.ReceiveWindow; }
    }

    /// <summary>Why the stream was reset, if it was (by the peer: the reason starts with "peer reset: ").</summary>
    public StreamResetException? ResetError
    {
        get { lock (_gate) return _reset; }
    }

    public long BytesIn => Interlocked.Read(ref _bytesIn);
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? wait = null;
            int copied = 0;
            uint grant = 0;
            lock (_gate)
            {
                if (_reset is not null) throw _reset;
                while (copied < buffer.Length)
                {
                    if (_head.IsEmpty && !TakeNextChunk()) break;
                    var n = Math.Min(_head.Length, buffer.Length - copied);
                    _head.Span[..n].CopyTo(buffer.Span[copied..]);
                    _head = _head[n..];
                    copied += n;
                    if (_head.IsEmpty) DataBuffers.Return(_headChunk);
                }
                _buffered -= copied;
                // No credit is owed once the peer finished: it will send nothing more.
                if (copied > 0)
                {
                    if (!_remoteFinished) grant = Grant(copied);
                    else _tuner.Settle(_window.ReceiveWindow, _window.Deficit, peerFinished: true, _buffered);
                }
                else if (_remoteFinished) return 0;
                else wait = (_readable ??= NewSignal()).Task; // only an empty read waits: a set signal means a reader waits
            }
            if (copied > 0)
            {
                // The bytes are the caller's now: if the connection closed meanwhile, the credit is moot
                // and the next read reports the reset — losing them here would truncate silently.
                try
                {
                    if (grant > 0) await _connection.SendAsync(Frame.WindowUpdate(Id, grant), cancellationToken);
                }
                catch (IOException) { }
                return copied;
            }
            await wait!.WaitAsync(cancellationToken);
        }
    }

    public ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (_reset is not null || !_head.IsEmpty || _inbound.Count > 0 || _smallLength > 0 || _remoteFinished) return ValueTask.CompletedTask;
            wait = (_readable ??= NewSignal()).Task;
        }
        return new ValueTask(wait.WaitAsync(cancellationToken));
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var maxChunk = _connection.Options.Limits.MaxDataChunk;
        while (!data.IsEmpty)
        {
            int credit;
            Task? wait = null;
            lock (_gate)
            {
                if (_reset is not null) throw _reset;
                if (_localFinished) throw new InvalidOperationException($"stream {Id}: write after FIN");
                credit = _window.TakeSendCredit(Math.Min(data.Length, maxChunk));
                if (credit == 0) wait = (_writable ??= NewSignal()).Task;
            }
            if (wait is not null)
            {
                await wait.WaitAsync(cancellationToken);
                continue;
            }
            credit = await TakeConnectionCreditAsync(credit, cancellationToken);
            var payload = DataBuffers.Rent(credit); // the encoder returns it
            data.Span[..credit].CopyTo(payload);
            try { await _connection.SendAsync(Frame.Data(Id, payload.AsMemory(0, credit)), cancellationToken); }
            catch
            {
                // Not queued (cancelled, or the connection closed): the connection credit belongs to the other streams.
                _connection.ReturnSendCredit(credit);
                DataBuffers.Return(payload);
                throw;
            }
            Interlocked.Add(ref _bytesOut, credit);
            data = data[credit..];
        }
    }

    /// <summary>Connection credit for <paramref name="streamCredit"/> bytes taken from the stream; what the connection lacks goes back to the stream.</summary>
    private async ValueTask<int> TakeConnectionCreditAsync(int streamCredit, CancellationToken cancellationToken)
    {
        int granted;
        Volatile.Write(ref _awaitingConnectionCredit, 1);
        try { granted = await _connection.TakeSendCreditAsync(streamCredit, cancellationToken); }
        catch
        {
            lock (_gate) _window.ReturnSendCredit(streamCredit);
            throw;
        }
        finally { Volatile.Write(ref _awaitingConnectionCredit, 0); }
        lock (_gate)
        {
            if (_reset is not null)
            {
                _connection.ReturnSendCredit(granted); // the stream ended while it waited: the credit is another stream's
                throw _reset;
            }
            if (granted < streamCredit) _window.ReturnSendCredit(streamCredit - granted);
        }
        return granted;
    }

    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_reset is not null) throw _reset;
            if (_localFinished) return;
            _localFinished = true;
        }
        await _connection.SendAsync(Frame.Fin(Id), cancellationToken);
        ForgetIfDone();
    }

    /// <summary>Resets the stream and tells the peer why (RST).</summary>
    public void Abort(Exception reason)
    {
        var code = reason is ProtocolException p ? p.Error : reason is StreamResetException r ? r.Code : ProtocolError.Cancelled;
        if (Reset(code, reason.Message)) _connection.SendWhenRoom(new ReasonPayload(code, reason.Message).ToFrame(FrameType.Rst, Id));
    }

    /// <summary>
    /// For operators, where the stream's bytes stand: what a stalled transfer waits on (its own send credit,
    /// the connection's, or a reader that stopped taking what is buffered).
    /// </summary>
    public string DescribeFlow()
    {
        string local;
        lock (_gate)
        {
            var writer = _writable is not null ? "writer waits for stream credit"
                : Volatile.Read(ref _awaitingConnectionCredit) != 0 ? "writer waits for connection credit" : "writer not waiting";
            var ends = (_localFinished ? ", FIN sent" : "") + (_remoteFinished ? ", FIN received" : "") + (_reset is { } r ? $", reset: {r.Message}" : "");
            local = $"send credit {_window.SendCredit} B, {writer}; receive window {_window.ReceiveWindow} B, {_buffered} B buffered, " +
                $"reader {(_readable is not null ? "waiting" : "not waiting")}{ends}";
        }
        return $"{local}; {_connection.DescribeSendCredit()}";
    }

    public override string ToString() => $"stream {Id} ({Open.Hostname}, {Open.SafeIdentity})";

    /// <summary>Queues inbound DATA (dropped if the stream was reset).</summary>
    internal void OnData(ReadOnlyMemory<byte> payload)
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            if (_reset is not null) // data in flight when we reset: drop it
            {
                DataBuffers.Return(payload);
                return;
            }
            if (_remoteFinished)
                throw new ProtocolException(ProtocolError.StreamState, $"stream {Id}: DATA after FIN");
            // An empty DATA frame moves no byte but would take a queue entry: it is never legitimate.
            if (payload.IsEmpty)
                throw new ProtocolException(ProtocolError.MalformedPayload, $"stream {Id}: empty DATA frame");
            _window.OnDataReceived(payload.Length);
            Queue(payload);
            _buffered += payload.Length;
            Interlocked.Add(ref _bytesIn, payload.Length);
            (signal, _readable) = (_readable, null);
        }
        signal?.TrySetResult();
    }

    internal void OnWindowUpdate(uint increment)
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            _window.OnWindowUpdate(increment);
            (signal, _writable) = (_writable, null);
        }
        signal?.TrySetResult();
    }

    internal void OnFin()
    {
        TaskCompletionSource? signal;
        lock (_gate)
        {
            _remoteFinished = true;
            _tuner.Settle(_window.ReceiveWindow, _window.Deficit, peerFinished: true, _buffered); // the reader may have read everything before FIN came
            (signal, _readable) = (_readable, null);
        }
        signal?.TrySetResult();
        ForgetIfDone();
    }

    /// <summary>Marks the stream reset and wakes its reader and writer; false if it already was.</summary>
    internal bool Reset(ProtocolError code, string reason)
    {
        TaskCompletionSource? readable, writable;
        lock (_gate)
        {
            if (_reset is not null) return false;
            _reset = new StreamResetException(Id, code, reason);
            if (!_head.IsEmpty) DataBuffers.Return(_headChunk);
            FlushSmall();
            while (_inbound.TryDequeue(out var queued)) DataBuffers.Return(queued);
            (_head, _headChunk) = (default, default);
            (readable, _readable, writable, _writable) = (_readable, null, _writable, null);
        }
        readable?.TrySetResult();
        writable?.TrySetResult();
        _connection.Forget(this);
        return true;
    }

    // Under _gate: the stream-level WINDOW_UPDATE increment for consumed bytes, grown when the window is what limits the stream.
    private uint Grant(int consumed)
    {
        var grant = _window.OnDataConsumed(consumed);
        _tuner.Settle(_window.ReceiveWindow, _window.Deficit, _remoteFinished, _buffered); // a shrunk window paying back
        if (grant == 0) return 0;
        var window = _tuner.OnGrant(_window.ReceiveWindow, _connection.LastRtt, Stopwatch.GetTimestamp());
        if (window == _window.ReceiveWindow) return grant;
        _window.Resize(window);
        return grant + _window.TakeGrant();
    }

    internal void ShrinkIfIdle(TimeSpan idleAfter, long now)
    {
        lock (_gate)
        {
            if (_reset is not null) return;
            var window = _tuner.OnIdleCheck(_window.ReceiveWindow, idleAfter, now);
            if (window != _window.ReceiveWindow) _window.Resize(window);
            _tuner.Settle(_window.ReceiveWindow, _window.Deficit, _remoteFinished, _buffered);
        }
    }

    /// <summary>The stream left its connection: its window growth goes back to the budgets.</summary>
    internal void ReleaseWindow()
    {
        lock (_gate) _tuner.Release();
    }

    // Under _gate. Order is kept: the coalescing buffer is queued before any payload that follows it.
    private void Queue(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length >= SmallPayload)
        {
            FlushSmall();
            _inbound.Enqueue(payload);
            return;
        }
        if (_small is not null && _smallLength + payload.Length > _small.Length) FlushSmall();
        _small ??= DataBuffers.Rent(CoalesceBuffer);
        payload.Span.CopyTo(_small.AsSpan(_smallLength));
        _smallLength += payload.Length;
        DataBuffers.Return(payload);
    }

    private void FlushSmall()
    {
        if (_small is null) return;
        _inbound.Enqueue(_small.AsMemory(0, _smallLength));
        (_small, _smallLength) = (null, 0);
    }

    private bool TakeNextChunk()
    {
        if (_inbound.Count == 0) FlushSmall(); // the reader caught up: hand over what was coalesced
        if (!_inbound.TryDequeue(out _headChunk)) return false;
        _head = _headChunk;
        return true;
    }

    private void ForgetIfDone()
    {
        bool done;
        lock (_gate) done = _localFinished && _remoteFinished;
        if (done) _connection.Forget(this);
    }

    // Continuations run inline on the signalling thread: they only copy bytes and hand a completion to a stage, and an extra thread-pool hop per chunk costs latency.
    private static TaskCompletionSource NewSignal() => new();
}
