using System.Net.Sockets;

namespace TunnelActors.Transport.Channels;

/// <summary>A connected TCP socket as an <see cref="IByteChannel"/>; owns and disposes the socket.</summary>
public sealed class SocketChannel(Socket socket) : IByteChannel, IDisposable
{
    public Socket Socket { get; } = socket;

    public static SocketChannel Wrap(Socket socket)
    {
        socket.NoDelay = true;
        return new SocketChannel(socket);
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try { return await Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            throw new IOException($"connection reset by {Describe()}", e);
        }
    }

    public async ValueTask WaitReadableAsync(CancellationToken cancellationToken)
    {
        // A zero-byte receive completes when data or the end arrives. An error surfaces here and
        // must not be swallowed: the kernel reports a reset once, and the next read would see a clean end.
        try { await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            throw new IOException($"connection reset by {Describe()}", e);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await Socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public ValueTask CompleteWritesAsync(CancellationToken cancellationToken)
    {
        try { Socket.Shutdown(SocketShutdown.Send); }
        catch (SocketException) { } // the peer is already gone; the read side reports it
        catch (ObjectDisposedException) { }
        return ValueTask.CompletedTask;
    }

    /// <summary>Resets the connection (RST) so the peer sees an error, not a clean end.</summary>
    public void Abort(Exception reason)
    {
        try { Socket.LingerState = new LingerOption(true, 0); } catch (Exception) { /* already closed */ }
        Socket.Dispose();
    }

    public void Dispose() => Socket.Dispose();

    private string Describe()
    {
        try { return Socket.RemoteEndPoint?.ToString() ?? "peer"; } catch (ObjectDisposedException) { return "peer"; }
    }
}
