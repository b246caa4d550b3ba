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

    public async ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        if (_ended || _textSeen) return;
        ValueWebSocketReceiveResult result;
        try { result = await WebSocket.ReceiveAsync(Memory<byte>.Empty, cancellationToken); }
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
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_ended) return 0;
        if (_textSeen) throw new IOException("text WebSocket message on a binary byte stream");
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try { result = await WebSocket.ReceiveAsync(buffer, cancellationToken); }
            catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
            {
                return 0;
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                PeerCloseReason = WebSocket.CloseStatusDescription;
                return 0;
            }
            if (result.MessageType == WebSocketMessageType.Text)
                throw new IOException("text WebSocket message on a binary byte stream");
            if (result.Count > 0) return result.Count;
        }
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        WebSocket.SendAsync(data, WebSocketMessageType.Binary, true, cancellationToken);

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
    /// </summary>
    public void Abort(Exception reason)
    {
        if (reason is StreamEndedException ended) _ = CloseThenAbortAsync(ended.Message);
        else WebSocket.Abort();
    }

    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(1);

    private async Task CloseThenAbortAsync(string reason)
    {
        using var grace = new CancellationTokenSource(CloseGrace);
        try { await CloseAsync(WebSocketCloseStatus.PolicyViolation, reason, grace.Token); }
        catch (OperationCanceledException) { }
        catch (InvalidOperationException) { } // a close already under way
        while (!grace.IsCancellationRequested && WebSocket.State != WebSocketState.Closed)
            await Task.Delay(50, CancellationToken.None);
        WebSocket.Abort();
    }

    public void Dispose() => WebSocket.Dispose();

    // RFC 6455 limits a close reason to 123 bytes of UTF-8.
    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..120];
}
