using System.Net.WebSockets;

namespace TunnelActors.Transport.Channels;

/// <summary>
/// Raw bytes as binary WebSocket messages (cloudflared's `access tcp` carrier, and the mux
/// carrier). Message boundaries carry no meaning. A peer that drops the TCP connection
/// without a Close frame ends the stream normally: cloudflared does exactly that on local close.
/// </summary>
public sealed class WebSocketChannel(WebSocket webSocket) : IByteChannel, IDisposable
{
    public WebSocket WebSocket { get; } = webSocket;

    /// <summary>Why the peer closed, once it has (its close status description).</summary>
    public string? PeerCloseReason { get; private set; }

    // What a zero-byte receive found when it was not data: the next read reports it.
    private bool _ended;
    private bool _textSeen;

    // Operations run on this token, not the caller's: a cancelled WebSocket operation aborts the
    // socket, which must not happen while a Close frame naming the reason is going out.
    private readonly CancellationTokenSource _operations = new();

    private CancellationTokenRegistration Follow(CancellationToken caller) =>
        caller.CanBeCanceled ? caller.UnsafeRegister(static s => ((WebSocketChannel)s!).CallerCancelled(), this) : default;

    private void CallerCancelled()
    {
        if (Volatile.Read(ref _ending) is not null) return; // the polite close cuts the socket itself
        try { _operations.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public async ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        if (_ended || _textSeen) return;
        ValueWebSocketReceiveResult result;
        try
        {
            using (Follow(cancellationToken)) result = await WebSocket.ReceiveAsync(Memory<byte>.Empty, _operations.Token);
        }
        catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
        {
            _ended = true;
            return;
        }
        if (result.MessageType == WebSocketMessageType.Close)
        {
            PeerCloseReason = WebSocket.CloseStatusDescription;
            _ended = true;
        }
        else if (result.MessageType == WebSocketMessageType.Text) _textSeen = true;
        // Reported by the read that follows (ReadAsync), as a data stream reports its end.
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_ended) return EndOfStream();
        if (_textSeen) throw new IOException("text WebSocket message on a binary byte stream");
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                using (Follow(cancellationToken)) result = await WebSocket.ReceiveAsync(buffer, _operations.Token);
            }
            catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
            {
                return 0;
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                PeerCloseReason = WebSocket.CloseStatusDescription;
                return EndOfStream();
            }
            if (result.MessageType == WebSocketMessageType.Text)
                throw new IOException("text WebSocket message on a binary byte stream");
            if (result.Count > 0) return result.Count;
        }
    }

    // A Close naming a policy violation is how an edge ends a stream on purpose (revoked, closed by an
    // operator): that is a reset, never a clean end a reader could mistake for a complete transfer.
    private int EndOfStream() => WebSocket.CloseStatus == WebSocketCloseStatus.PolicyViolation
        ? throw new StreamEndedException($"the edge ended the stream: {PeerCloseReason}")
        : 0;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => cancellationToken.CanBeCanceled
        ? WriteFollowingAsync(data, cancellationToken)
        : WebSocket.SendAsync(data, WebSocketMessageType.Binary, true, _operations.Token);

    private async ValueTask WriteFollowingAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        using (Follow(cancellationToken)) await WebSocket.SendAsync(data, WebSocketMessageType.Binary, true, _operations.Token);
    }

    public async ValueTask CompleteWritesAsync(CancellationToken cancellationToken) =>
        await CloseAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken);

    /// <summary>Sends a Close frame with a reason if the socket can still send one.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        if (WebSocket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        try { await WebSocket.CloseOutputAsync(status, Truncate(reason), cancellationToken); }
        catch (WebSocketException) { } // peer already gone: nothing left to tell it
        catch (IOException) { }
    }

    /// <summary>
    /// Hard stop. A <see cref="StreamEndedException"/> first sends a Close frame with its reason
    /// (a send in progress finishes first: the WebSocket serialises its sends), then cuts once the
    /// peer answered or after <see cref="CloseGrace"/>: cutting at once could drop the frame unsent.
    /// Only the first call acts; <see cref="Ended"/> completes once the socket is cut.
    /// </summary>
    public void Abort(Exception reason)
    {
        var ending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _ending, ending, null) is not null) return;
        if (reason is StreamEndedException ended) _ = CloseThenAbortAsync(ended.Message, ending);
        else
        {
            WebSocket.Abort();
            ending.SetResult();
        }
    }

    /// <summary>Completes once <see cref="Abort"/> has cut the socket (at once if it never was): dispose only after it.</summary>
    public Task Ended => Volatile.Read(ref _ending)?.Task ?? Task.CompletedTask;

    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(1);
    private TaskCompletionSource? _ending;

    private async Task CloseThenAbortAsync(string reason, TaskCompletionSource ending)
    {
        using var grace = new CancellationTokenSource(CloseGrace);
        try
        {
            await CloseAsync(WebSocketCloseStatus.PolicyViolation, reason, grace.Token);
            while (!grace.IsCancellationRequested && WebSocket.State != WebSocketState.Closed)
                await Task.Delay(50, CancellationToken.None);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or ObjectDisposedException) { } // a close under way, or gone
        finally
        {
            WebSocket.Abort(); // whatever happened above, the socket is cut and Ended completes
            ending.TrySetResult();
        }
    }

    public void Dispose()
    {
        WebSocket.Dispose();
        _operations.Dispose();
    }

    // RFC 6455 limits a close reason to 123 bytes of UTF-8: cut on a character boundary.
    public static string Truncate(string reason)
    {
        const int maxBytes = 123;
        if (System.Text.Encoding.UTF8.GetByteCount(reason) <= maxBytes) return reason;
        var length = Math.Min(reason.Length, maxBytes); // a character is at least one byte
        while (length > 0 && System.Text.Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > maxBytes - 3) length--;
        if (length > 0 && char.IsHighSurrogate(reason[length - 1])) length--;
        return reason[..length] + "…";
    }
}
