using System.Net;
using System.Net.Sockets;

namespace TunnelActors.Tests.Shared;

/// <summary>A pair of connected loopback TCP sockets: a real carrier with real backpressure.</summary>
public static class SocketPair
{
    public static async Task<(Socket A, Socket B)> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var a = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accept = listener.AcceptSocketAsync();
        await a.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var b = await accept;
        b.NoDelay = true;
        return (a, b);
    }
}
