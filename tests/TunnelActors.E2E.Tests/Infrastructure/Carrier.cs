using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>Bytes to an echo origin: over a raw client carrier WebSocket, or a local socket through `access tcp`.</summary>
public static class Carrier
{
    /// <summary>Sends <paramref name="text"/> and reads it back; an early end of the connection throws instead of spinning.</summary>
    public static async Task EchoOnce(Socket socket, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await socket.SendAsync(bytes, SocketFlags.None);
        var buffer = new byte[bytes.Length];
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        for (var read = 0; read < bytes.Length;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancel.Token);
            if (n == 0) throw new EndOfStreamException($"connection closed after {read} of {bytes.Length} bytes");
            read += n;
        }
        Assert.Equal(text, Encoding.UTF8.GetString(buffer));
    }

    public static async Task EchoOnce(ClientWebSocket socket, string text)
    {
        var sent = Encoding.UTF8.GetBytes(text);
        await socket.SendAsync(sent, WebSocketMessageType.Binary, true, CancellationToken.None);
        var received = new List<byte>();
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received.Count < sent.Length)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close) throw new IOException($"closed: {socket.CloseStatusDescription}");
            received.AddRange(buffer.AsSpan(0, result.Count).ToArray());
        }
        Assert.Equal(text, Encoding.UTF8.GetString(received.ToArray()));
    }

    /// <summary>Reads until the edge closes the socket; its close reason.</summary>
    public static async Task<string> CloseOf(ClientWebSocket socket, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancel.Token);
            if (result.MessageType == WebSocketMessageType.Close) return socket.CloseStatusDescription ?? "";
        }
    }
}
