namespace TunnelActors.Transport.Tls;

/// <summary>Well-known paths on the edge, shared by the edge and its dialers.</summary>
public static class EdgePaths
{
    /// <summary>Where connectors open their WebSocket.</summary>
    public const string Connect = "/cdn-cgi/tunnel/connect";
}
