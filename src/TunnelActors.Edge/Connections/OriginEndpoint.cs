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
        // On the minority side a registration would be invisible to the majority's clients: 503, the connector tries
        // the next edge soon. Too many pending upgrades is load: 429, and the connector backs off as after any failure.
        if (quorum.Refusal is { } notHere)
        {
            await Hosting.UpgradeRefusal.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, notHere);
            return;
        }
        var (slot, refusal) = slots.TryTake(context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None);
        if (slot is null)
        {
            await Hosting.UpgradeRefusal.WriteAsync(context, StatusCodes.Status429TooManyRequests, refusal!);
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
