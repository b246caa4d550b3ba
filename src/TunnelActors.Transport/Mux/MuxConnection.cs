using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Diagnostics;
using System.Threading.Channels;
using Akka.Streams;
using Akka.Streams.Dsl;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// One multiplexed connection over a carrier channel (a WebSocket). Two graphs run it:
/// inbound carrier → <see cref="FrameDecoderStage"/> → <see cref="Dispatch"/>, and outbound
/// bounded outbox → batch → encode → carrier. The dispatcher never waits: per-stream
/// credit bounds what it queues, so one stalled stream cannot hold up the others.
/// A bad frame on a stream resets that stream; a bad header closes the connection with
/// GOAWAY naming the cause. Events go to <see cref="IMuxHandler"/> (typically an actor's Tell).
/// Buffers are pooled (<see cref="DataBuffers"/>): carrier reads are returned once decoded,
/// queued DATA payloads once encoded, encoded batches once written.
/// Flow control has two levels, as in HTTP/2 and QUIC: each stream's window (auto-tuned, see
/// <see cref="WindowTuner"/>), which bounds what that stream buffers, and, once both ends agreed at
/// REGISTER, a connection window over all streams that bounds the bytes in flight. Connection credit is
/// returned as DATA is dispatched to its stream (as gRPC does), not as it is read: a stalled reader
/// holds its own stream's window only, never the credit its neighbours need.
/// </summary>
public sealed class MuxConnection
{
    private readonly ConcurrentDictionary<uint, MuxStream> _streams = new();
    private readonly Channel<Frame> _outbox;   // DATA, OPEN, FIN: bounded, writers wait
    private readonly Channel<Frame> _control;  // WINDOW_UPDATE, PING/PONG, RST, GOAWAY...: sent ahead of data
    private readonly IMuxHandler _handler;
    private readonly SharedKillSwitch _killSwitch;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private uint _nextStreamId = 1; // one end of a connection opens streams (the edge to a connector, a client on its carrier, an edge to a peer): odd ids
    private readonly SemaphoreSlim _opening = new(1, 1); // ids are taken and OPENs queued in one order: the peer admits only growing ids
    private long _lastFrameTimestamp = Stopwatch.GetTimestamp();
    private long _lastRttTicks = -1;
    private int _goingAway;   // a GOAWAY was sent or received: we open no new stream
    private int _sentGoAway;  // we sent it: the peer may open no new stream either
    // At most one PONG waits in the control queue; it answers the latest PING when it is encoded.
    private long _latestPing;
    private int _pongQueued;
    private readonly LogBudget _errorLog = new(10, TimeSpan.FromSeconds(10));
    private readonly ConnectionSendCredit _sendCredit = new();
    private int _connectionWindow;         // 1 once both ends agreed on a connection window (set last: the credit is in place first)
    private int _windowEnabling;           // 1 once EnableConnectionWindow ran
    private int _awaitingRegistered;       // 1 between our REGISTER and the peer's REGISTERED (connector side only)
    // PONGs are checked against the last PINGs we sent: an unsolicited or invented one cannot set the round trip.
    private readonly long[] _pingsSent = new long[8];
    private int _pingCount;
    private long _connectionReceiveCredit; // bytes the peer may still send across all streams
    private uint _lastAcceptedId;          // the peer's ids only grow: an id it used before is never a new stream
    private long _connectionConsumed;      // dispatched but not yet granted back

    public MuxConnection(string name, MuxOptions options, IMuxHandler handler)
    {
        (Name, Options, _handler) = (name, options, handler);
        // Synchronous continuations: a queued frame wakes the outbound graph on the writer's thread
        // (ChannelReaderSource), not after a thread-pool hop. Writers waiting for room are never resumed
        // on the reader's thread: the channel resumes them asynchronously whatever this option says.
        _outbox = Channel.CreateBounded<Frame>(new BoundedChannelOptions(options.OutboxFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = true,
        });
        // Credit must not queue behind megabytes of DATA, or a busy reverse direction throttles this one.
        _control = Channel.CreateBounded<Frame>(new BoundedChannelOptions(options.ControlFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = true,
        });
        _killSwitch = KillSwitches.Shared(name);
        Budget = new WindowBudget(options.ConnectionWindow, options.WindowBudget);
    }

    public string Name { get; }
    public MuxOptions Options { get; }
    public int StreamCount => _streams.Count;
    public IEnumerable<MuxStream> Streams => _streams.Values;

    /// <summary>This connection's share of window growth, under the process's.</summary>
    public WindowBudget Budget { get; }

    /// <summary>Whether a GOAWAY was sent or received: no new streams here.</summary>
    public bool GoingAway => Volatile.Read(ref _goingAway) != 0;

    /// <summary>Whether both ends agreed on a connection window (an older peer did not).</summary>
    public bool HasConnectionWindow => Volatile.Read(ref _connectionWindow) != 0;

    /// <summary>Completes when the connection has ended, faulted with the cause if it failed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Time since any frame arrived: the liveness signal for heartbeats.</summary>
    public TimeSpan SinceLastFrame => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastFrameTimestamp));

    /// <summary>Round-trip time of the last answered PING, if any.</summary>
    public TimeSpan? LastRtt => Interlocked.Read(ref _lastRttTicks) is var t and >= 0 ? TimeSpan.FromTicks(t) : null;

    /// <summary>Starts both graphs over <paramref name="carrier"/>.</summary>
    public void Start(IByteChannel carrier, IMaterializer materializer)
    {
        var inbound = Source.FromGraph(new ByteChannelSource(carrier, Options.ReadChunkSize))
            .Via(_killSwitch.Flow<ReadOnlyMemory<byte>>())
            .Via(new FrameDecoderStage(Options.Limits, DataBuffers.Return))
            .RunForeach(Dispatch, materializer);

        var outbound = Source.FromGraph(GraphDsl.Create(b =>
            {
                var merge = b.Add(new MergePreferred<Frame>(1));
                b.From(Source.FromGraph(new ChannelReaderSource<Frame>(_control.Reader))).To(merge.Preferred);
                b.From(Source.FromGraph(new ChannelReaderSource<Frame>(_outbox.Reader))).To(merge.In(0));
                return new SourceShape<Frame>(merge.Out);
            }))
            .Via(_killSwitch.Flow<Frame>())
            .BatchWeighted(Options.MaxBatchBytes, f => FrameCodec.EncodedLength(f), f => new List<Frame> { f }, (batch, f) => { batch.Add(f); return batch; })
            .Select(batch => EncodeBatch(batch))
            .RunWith(Sink.FromGraph(new ByteChannelSink(carrier, DataBuffers.Return)), materializer);

        _ = RunAsync(inbound, outbound, carrier);
        SendPing(); // window auto-tuning needs the round trip from the start
    }

    /// <summary>
    /// Turns on the connection window: the peer announced it can receive <paramref name="peerWindow"/>
    /// bytes across all streams, and we hold it to <see cref="MuxOptions.ConnectionWindow"/>. The edge
    /// calls it before sending REGISTERED; the connector's dispatcher when REGISTERED arrives, so
    /// both count from the same frame.
    /// </summary>
    public void EnableConnectionWindow(uint peerWindow)
    {
        if (peerWindow == 0 || Interlocked.Exchange(ref _windowEnabling, 1) != 0) return;
        Interlocked.Exchange(ref _connectionReceiveCredit, Options.ConnectionWindow);
        _sendCredit.Enable(Math.Min(peerWindow, CreditWindow.MaxWindow));
        Volatile.Write(ref _connectionWindow, 1);
    }

    /// <summary>
    /// The connector is about to send REGISTER: the edge's REGISTERED, and only that one, turns the
    /// connection window on in the dispatcher. Elsewhere (the edge, peer links) a REGISTERED is only passed on.
    /// </summary>
    public void AwaitRegistered() => Volatile.Write(ref _awaitingRegistered, 1);

    /// <summary>Opens a stream to the peer (edge side). Throws if the connection is draining or full.</summary>
    public async Task<MuxStream> OpenStreamAsync(OpenPayload open, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _goingAway) != 0) throw new InvalidOperationException($"{Name} is draining");
        if (Completion.IsCompleted || _outbox.Reader.Completion.IsCompleted) throw new IOException($"{Name} is closed");
        // Opens come from many threads at once: the stream limit must hold, and OPENs must leave in the order of their ids.
        await _opening.WaitAsync(cancellationToken);
        try
        {
            if (_streams.Count >= Options.MaxStreams) throw new InvalidOperationException($"{Name} has {_streams.Count} streams, the limit");
            var id = _nextStreamId;
            // Ids are never reused: a connection that used them all (2^31 streams) takes no more, and its owner dials a new one.
            if (id > uint.MaxValue - 2) throw new InvalidOperationException($"{Name} has used all its stream ids");
            _nextStreamId = id + 2;
            var stream = new MuxStream(this, id, open, sendWindow: open.InitialWindow, receiveWindow: open.InitialWindow);
            _streams.TryAdd(id, stream);
            try { await SendAsync(open.ToFrame(id), cancellationToken); }
            catch
            {
                stream.Reset(ProtocolError.Cancelled, "connection closed before the stream opened");
                throw;
            }
            return stream;
        }
        finally { _opening.Release(); }
    }

    /// <summary>Queues a frame, waiting while its queue is full (backpressure from the carrier).</summary>
    public async ValueTask SendAsync(Frame frame, CancellationToken cancellationToken)
    {
        try { await QueueFor(frame).Writer.WriteAsync(frame, cancellationToken); }
        catch (ChannelClosedException) { throw new IOException($"{Name} is closed"); }
    }

    /// <summary>Queues a frame if there is room; for the dispatcher, which must never wait.</summary>
    public bool TrySend(Frame frame) => QueueFor(frame).Writer.TryWrite(frame);

    /// <summary>
    /// Queues a frame now, or once there is room, without making the caller wait: for frames the peer must not miss
    /// (a reset it would otherwise wait on forever) sent from outside the dispatcher. Lost only with the connection.
    /// </summary>
    internal void SendWhenRoom(Frame frame)
    {
        if (TrySend(frame)) return;
        _ = SendAsync(frame, CancellationToken.None).AsTask().ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }

    private Channel<Frame> QueueFor(in Frame frame) =>
        frame.Type is FrameType.Data or FrameType.Open or FrameType.Fin ? _outbox : _control;

    public void SendPing()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_pingsSent) _pingsSent[_pingCount++ % _pingsSent.Length] = now;
        TrySend(Frame.Ping((ulong)now));
    }

    /// <summary>Graceful end: tells the peer why (GOAWAY), then closes once queued frames are out.</summary>
    public void Close(ProtocolError code, string reason)
    {
        Volatile.Write(ref _sentGoAway, 1);
        if (Interlocked.Exchange(ref _goingAway, 1) == 0) TrySend(new ReasonPayload(code, reason).ToFrame(FrameType.GoAway, 0));
        CompleteQueues();
    }

    /// <summary>Announces a drain (GOAWAY) but keeps carrying open streams.</summary>
    public void GoAway(string reason)
    {
        Volatile.Write(ref _sentGoAway, 1);
        if (Interlocked.Exchange(ref _goingAway, 1) == 0) SendWhenRoom(new ReasonPayload(ProtocolError.None, reason).ToFrame(FrameType.GoAway, 0));
    }

    /// <summary>Hard end: both graphs stop now, every stream is reset.</summary>
    public void Abort(Exception reason)
    {
        _killSwitch.Abort(reason);
        _sendCredit.Close(new IOException($"{Name} is closed", reason));
        CompleteQueues(reason); // writers waiting on a full queue must fail, not wait for a graph that is gone
    }

    internal void Forget(MuxStream stream)
    {
        if (_streams.TryRemove(new KeyValuePair<uint, MuxStream>(stream.Id, stream))) stream.ReleaseWindow();
    }

    /// <summary>Connection credit for a stream's DATA: up to <paramref name="wanted"/> bytes, waiting in turn while there is none.</summary>
    internal ValueTask<int> TakeSendCreditAsync(int wanted, CancellationToken cancellationToken) => _sendCredit.TakeAsync(wanted, cancellationToken);

    internal void ReturnSendCredit(int unused) => _sendCredit.Return(unused);

    /// <summary>For operators: the connection-level send credit and who waits for it.</summary>
    internal string DescribeSendCredit() => _sendCredit.Describe();

    /// <summary>DATA was dispatched (<paramref name="received"/> bytes; 0 on a keep-alive tick): the connection-level WINDOW_UPDATE increment to send now (once a quarter window is owed), or 0.</summary>
    private uint TakeConnectionGrant(int received)
    {
        if (!HasConnectionWindow || received < 0) return 0;
        if (Interlocked.Add(ref _connectionConsumed, received) < Options.ConnectionWindow / 4) return 0;
        var increment = Interlocked.Exchange(ref _connectionConsumed, 0);
        if (increment <= 0) return 0;
        Interlocked.Add(ref _connectionReceiveCredit, increment);
        return (uint)increment;
    }

    /// <summary>Queues a connection-level WINDOW_UPDATE without waiting; if the control queue is full (or closed), the increment is owed with the next grant instead of lost.</summary>
    private void SendConnectionGrant(uint increment)
    {
        if (increment == 0 || TrySend(Frame.WindowUpdate(0, increment))) return;
        Interlocked.Add(ref _connectionReceiveCredit, -increment);
        Interlocked.Add(ref _connectionConsumed, increment);
    }

    /// <summary>
    /// On a keep-alive tick: a connection-level grant that found the control queue full is sent now. It is otherwise
    /// retried with the next DATA, and none comes once the peer has spent its credit: every stream would stall.
    /// </summary>
    public void SendOwedConnectionGrant() => SendConnectionGrant(TakeConnectionGrant(0));

    /// <summary>On a keep-alive tick: streams that consumed nothing for a while give their grown windows back.</summary>
    public void ShrinkIdleWindows()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var stream in _streams.Values) stream.ShrinkIfIdle(Options.IdleWindowAfter, now);
    }

    private async Task RunAsync(Task inbound, Task<long> outbound, IByteChannel carrier)
    {
        Exception? failure = null;
        try { await inbound; }
        catch (Exception e) { failure = e; }

        if (failure is ProtocolException p) Close(p.Error, p.Message); // tell the peer what was wrong
        else if (failure is not null) Abort(failure);
        else CompleteQueues(); // the peer finished: finish our side too

        try { await outbound.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e)
        {
            // The carrier could not even take our last frames: cut it.
            failure ??= e;
            carrier.Abort(e);
        }
        if (failure is not null and not ProtocolException) carrier.Abort(failure);

        _sendCredit.Close(new IOException($"{Name} is closed", failure));
        foreach (var stream in _streams.Values)
            stream.Reset(ProtocolError.Cancelled, failure is null ? "connection closed" : $"connection lost: {failure.GetBaseException().Message}");
        if (failure is null) _completion.TrySetResult();
        else _completion.TrySetException(failure);
    }

    private void CompleteQueues(Exception? error = null)
    {
        _control.Writer.TryComplete(error);
        _outbox.Writer.TryComplete(error);
    }

    private void Dispatch(Frame frame)
    {
        Interlocked.Exchange(ref _lastFrameTimestamp, Stopwatch.GetTimestamp());
        if (frame.StreamId == 0)
        {
            DispatchConnectionFrame(frame);
            return;
        }
        if (frame.Type == FrameType.Data) ChargeConnectionWindow(frame.Payload.Length); // before the stream: an overrun ends the connection
        MuxStream? stream = null;
        try
        {
            if (frame.Type == FrameType.Open)
            {
                Accept(frame);
                return;
            }
            if (!_streams.TryGetValue(frame.StreamId, out stream))
            {
                if (frame.Type == FrameType.Data) DataBuffers.Return(frame.Payload); // late data for a finished stream
                return;
            }
            switch (frame.Type)
            {
                case FrameType.Data: stream.OnData(frame.Payload); break;
                case FrameType.WindowUpdate: stream.OnWindowUpdate(ReadIncrement(frame)); break;
                case FrameType.Fin: stream.OnFin(); break;
                case FrameType.Rst:
                    var reason = ReasonPayload.Parse(frame.Payload.Span, FrameType.Rst);
                    stream.Reset(reason.Code, StreamResetException.ByPeer + reason.Reason);
                    break;
                default:
                    throw new ProtocolException(ProtocolError.StreamState, $"{frame.Type} is not allowed on stream {frame.StreamId}");
            }
        }
        catch (ProtocolException e)
        {
            // A bad frame costs its own stream only; reporting it is rate-limited, so a flood writes a few lines, not one per frame.
            if (_errorLog.TryTake(out var suppressed)) _handler.OnStreamError(frame.StreamId, e, suppressed);
            if (stream is null || stream.Reset(e.Error, e.Message))
                TrySend(new ReasonPayload(e.Error, e.Message).ToFrame(FrameType.Rst, frame.StreamId));
        }
        finally
        {
            // Queued, dropped or refused, the bytes left the connection's hands: from here the stream's own
            // window bounds them, so a stalled reader holds its stream's credit and never its neighbours'.
            if (frame.Type == FrameType.Data) SendConnectionGrant(TakeConnectionGrant(frame.Payload.Length));
        }
    }

    private void Accept(Frame frame)
    {
        var open = OpenPayload.Parse(frame.Payload.Span);
        if (_streams.TryGetValue(frame.StreamId, out var existing))
        {
            // Both ends of that id are now in doubt: end ours too, the catch resets the peer's.
            var message = $"OPEN for stream {frame.StreamId}, which is already open";
            existing.Reset(ProtocolError.StreamState, message);
            throw new ProtocolException(ProtocolError.StreamState, message);
        }
        // As in HTTP/2: a reused id would start a second life of a stream whose first may still be ending
        // above us (the edge names a stream's actor after its id).
        if (frame.StreamId % 2 == 0 || frame.StreamId <= _lastAcceptedId)
            throw new ProtocolException(ProtocolError.StreamState, $"OPEN for stream {frame.StreamId}: new stream ids are odd and grow (the last was {_lastAcceptedId})");
        _lastAcceptedId = frame.StreamId;
        if (Volatile.Read(ref _sentGoAway) != 0)
            throw new ProtocolException(ProtocolError.Refused, $"{Name} is draining: open the stream elsewhere");
        if (_streams.Count >= Options.MaxStreams)
            throw new ProtocolException(ProtocolError.TooManyStreams, $"{_streams.Count} streams open, limit {Options.MaxStreams}");
        // What we buffer is ours to decide: the opener may ask for less than our window, never more.
        var maxWindow = Options.MaxOpenWindow ?? Options.MaxStreamWindow;
        if (open.InitialWindow == 0 || open.InitialWindow > maxWindow)
            throw new ProtocolException(ProtocolError.FlowControl, $"OPEN window {open.InitialWindow} outside 1..{maxWindow}");
        var stream = new MuxStream(this, frame.StreamId, open, sendWindow: open.InitialWindow, receiveWindow: open.InitialWindow);
        _streams[frame.StreamId] = stream;
        _handler.OnStreamOpened(stream);
    }

    private void DispatchConnectionFrame(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Ping when frame.Payload.Length == 8:
                // However fast PINGs come, one PONG is queued at a time and carries the latest value.
                Interlocked.Exchange(ref _latestPing, BitConverter.ToInt64(frame.Payload.Span));
                if (Interlocked.Exchange(ref _pongQueued, 1) == 0 && !TrySend(Frame.Pong(new byte[8])))
                    Volatile.Write(ref _pongQueued, 0); // the control queue is full: a lost RTT sample
                break;
            case FrameType.Ping:
                throw new ProtocolException(ProtocolError.MalformedPayload, $"PING payload is {frame.Payload.Length} bytes, expected 8");
            case FrameType.WindowUpdate when HasConnectionWindow:
                _sendCredit.OnWindowUpdate(ReadIncrement(frame));
                break;
            case FrameType.Pong when frame.Payload.Length == 8:
                var sent = (long)BitConverter.ToUInt64(frame.Payload.Span);
                if (TakePingSent(sent)) Interlocked.Exchange(ref _lastRttTicks, Stopwatch.GetElapsedTime(sent).Ticks);
                break;
            case FrameType.GoAway:
                Interlocked.Exchange(ref _goingAway, 1);
                _handler.OnControlFrame(frame);
                break;
            case FrameType.Registered:
                // Here, not in the handler's actor: DATA may follow REGISTERED at once and must already count.
                if (Interlocked.Exchange(ref _awaitingRegistered, 0) == 1)
                    EnableConnectionWindow(RegisteredPayload.Parse(frame.Payload.Span).ConnectionWindow);
                _handler.OnControlFrame(frame);
                break;
            case FrameType.Register:
                _handler.OnControlFrame(frame);
                break;
            default:
                throw new ProtocolException(ProtocolError.StreamState, $"{frame.Type} is not allowed on stream 0");
        }
    }

    // The peer answers the latest PING it saw: one of ours, answered at most once.
    private bool TakePingSent(long sent)
    {
        lock (_pingsSent)
        {
            var index = Array.IndexOf(_pingsSent, sent);
            if (sent == 0 || index < 0) return false;
            _pingsSent[index] = 0;
            return true;
        }
    }

    private void ChargeConnectionWindow(int length)
    {
        if (!HasConnectionWindow) return;
        if (Interlocked.Add(ref _connectionReceiveCredit, -length) < 0)
            throw new ProtocolException(ProtocolError.FlowControl,
                $"peer sent {length} bytes beyond the connection window of {Options.ConnectionWindow}");
    }

    private static uint ReadIncrement(Frame frame) => frame.Payload.Length == 4
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.Span)
        : throw new ProtocolException(ProtocolError.MalformedPayload, $"WINDOW_UPDATE payload is {frame.Payload.Length} bytes, expected 4");

    /// <summary>One carrier message of queued frames. DATA payloads are the writers' pooled copies: returned here.</summary>
    private ReadOnlyMemory<byte> EncodeBatch(List<Frame> frames)
    {
        var length = 0;
        foreach (var f in frames) length += FrameCodec.EncodedLength(f);
        var bytes = DataBuffers.Rent(length);
        var offset = 0;
        foreach (var f in frames)
        {
            if (f.Type == FrameType.Pong && f.Payload.Length == 8 && MemoryMarshal.TryGetArray(f.Payload, out var pong))
            {
                // Clear the flag before reading: a PING arriving now queues the next PONG instead of being lost.
                Volatile.Write(ref _pongQueued, 0);
                BitConverter.TryWriteBytes(pong.AsSpan(), Interlocked.Read(ref _latestPing));
            }
            offset += FrameCodec.Encode(f, bytes.AsSpan(offset));
            if (f.Type == FrameType.Data) DataBuffers.Return(f.Payload);
        }
        return bytes.AsMemory(0, length);
    }
}
