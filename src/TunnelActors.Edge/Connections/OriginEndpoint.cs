using System.Net.WebSockets;
using Akka.Actor;
using Microsoft.AspNetCore.Http;
using TunnelActors.Access.Certificates;

namespace TunnelActors.Edge.Connections;

/// <summary>
/// `/cdn-cgi/tunnel/connect` — where connectors dial in. Sends a fresh challenge with the
/// upgrade (the connector signs it with its origin certificate in REGISTER), then hands the
/// WebSocket to an <see cref="OriginConnectionActor"/> and holds the request open until it ends.
/// </summary>
public sealed class OriginEndpoint(IActorRef connections, RegistrationSlots slots, Hosting.ClusterQuorum quorum)
{
    public const string Path = Transport.Tls.EdgePaths.Connect;

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("connectors connect here with a WebSocket upgrade\n");
            return;
        }
        // On the minority side a registration would be invisible to the majority's clients: the connector dials the next edge.
        var (slot, refusal) = quorum.Refusal is { } notHere ? (null, notHere) : slots.TryTake(context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None);
        if (slot is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers[Transport.Tls.EdgeDialer.ErrorHeader] = refusal;
            await context.Response.WriteAsync(refusal + "\n");
            return;
        }
        var challenge = OriginCredential.NewChallenge();
        context.Response.Headers[OriginCredential.ChallengeHeader] = challenge;
        WebSocket webSocket;
        try { webSocket = await context.WebSockets.AcceptWebSocketAsync(); }
        catch
        {
            slot.Dispose();
            throw;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        connections.Tell(new AcceptOriginConnection(webSocket, challenge, remote, done, slot));
        await done.Task;
    }
}
