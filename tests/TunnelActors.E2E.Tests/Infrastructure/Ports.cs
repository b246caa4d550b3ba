using System.Net;
using System.Net.Sockets;

namespace TunnelActors.E2E.Tests.Infrastructure;

public static class Ports
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>
    /// A loopback port that was free a moment ago, never handed out twice, and below the kernel's
    /// ephemeral range: a port the kernel picks for a bind to port 0 is one it may give, a moment
    /// later, to any outgoing connection as its source port, before our process binds it (a
    /// process that then fails with "address already in use").
    /// </summary>
    public static int Free()
    {
        var below = EphemeralLow();
        lock (Handed)
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(below / 2, below);
                if (!Handed.Add(port)) continue;
                try
                {
                    using var probe = new TcpListener(IPAddress.Loopback, port);
                    probe.Start();
                    return port;
                }
                catch (SocketException) { } // in use: another
            }
        using var fallback = new TcpListener(IPAddress.Loopback, 0); // nothing free below the range: the kernel's pick
        fallback.Start();
        return ((IPEndPoint)fallback.LocalEndpoint).Port;
    }

    private static int EphemeralLow()
    {
        try { return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0]); }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return 32768; }
    }

    /// <summary>Waits until something accepts TCP connections on the port.</summary>
    public static async Task WaitListening(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
