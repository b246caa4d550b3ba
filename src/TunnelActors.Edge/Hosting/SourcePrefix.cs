using System.Net;

namespace TunnelActors.Edge.Hosting;

/// <summary>What per-source limits count: an IPv4 address, or an IPv6 /64 (one host usually holds the whole prefix).</summary>
public static class SourcePrefix
{
    public static IPAddress Of(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) return ip.MapToIPv4();
        if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return ip;
        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes);
    }
}
