using System.Net.WebSockets;
using System.Text;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>Bytes over a raw client carrier WebSocket to an echo origin.</summary>
public static class Carrier
{
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
