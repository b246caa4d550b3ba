using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// `/cdn-cgi/tunnel/peer` — where other edges of the cluster open their multiplexed data-plane
/// link (TLS, authenticated by the cluster's peer token, compared in constant time).
/// </summary>
public sealed class PeerEndpoint(IActorRef peers, string peerToken, ILogger<PeerEndpoint> log)
{
    public const string Path = "/cdn-cgi/tunnel/peer";
    public const string TokenHeader = "Tunnel-Peer-Token";

    public async Task HandleAsync(HttpContext context)
    {
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Hosting.UpgradeRefusal.WriteAsync(context, StatusCodes.Status400BadRequest, "edges link here with a WebSocket upgrade");
            return;
        }
        var presented = Encoding.UTF8.GetBytes(context.Request.Headers[TokenHeader].ToString());
        if (!CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(peerToken)))
        {
            log.LogWarning("Peer link from {Remote} refused: missing or wrong peer token", remote);
            await Hosting.UpgradeRefusal.WriteAsync(context, StatusCodes.Status401Unauthorized, "missing or wrong peer token");
            return;
        }
        var webSocket = await context.WebSockets.AcceptWebSocketAsync();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peers.Tell(new AcceptPeerLink(webSocket, remote, done));
        await done.Task;
    }
}
