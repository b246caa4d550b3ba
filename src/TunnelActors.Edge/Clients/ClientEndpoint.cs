using Akka.Actor;
using Akka.Streams;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Audit;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.Routing;
using TunnelActors.Edge.State;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Edge.Clients;

/// <summary>
/// `wss://&lt;hostname&gt;/` — cloudflared's `access tcp` carrier. Authenticates, finds the
/// hostname's tunnel, opens a stream on one of its connections (<see cref="StreamRouter"/>), and only then
/// accepts the WebSocket and relays raw bytes both ways. Every refusal happens before any
/// byte reaches the origin and carries its reason in the status line body and a header.
/// </summary>
public sealed class ClientEndpoint(
    ClientAuthenticator authenticator, EdgeStore store, IAuditLog audit, TimeProvider clock, StreamRouter router,
    IMaterializer materializer, EdgeMetrics metrics, Hosting.EdgeDrain drain, ILogger<ClientEndpoint> log)
{
    public const string ErrorHeader = Transport.Tls.EdgeDialer.ErrorHeader;

    public async Task HandleAsync(HttpContext context)
    {
        var requested = clock.GetTimestamp();
        var hostname = context.Request.Host.Host.ToLowerInvariant();
        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, $"{hostname} is a TCP application: connect with `tunnelactors access tcp --hostname {hostname}`");
            return;
        }

        if (drain.Draining)
        {
            // Clients with several --edge fail over on 503; streams already open here carry on.
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, "this edge is draining for shutdown: use another edge");
            return;
        }

        var auth = await authenticator.AuthenticateAsync(context.Request, hostname);
        if (!auth.Allowed)
        {
            log.LogWarning("Client {Remote} refused for {Hostname}: {Reason}", remote, hostname, auth.Reason);
            await Refuse(context, auth.Status, auth.Reason);
            return;
        }

        if (store.FindRoute(hostname) is not { } route)
        {
            log.LogWarning("Client {Remote} asked for unknown hostname {Hostname}", remote, hostname);
            await Refuse(context, StatusCodes.Status404NotFound, $"unknown hostname {hostname}: no tunnel routes it");
            return;
        }

        var stream = await OpenStreamAsync(context, hostname, route.ConnectorId, auth);
        if (stream is null) return;

        using var webSocket = await AcceptOrAbort(context, stream);
        if (webSocket is null) return;
        var carrier = new WebSocketChannel(webSocket);
        log.LogInformation("Stream {StreamId} opened: {Identity} from {Remote} to {Hostname}", stream.Id, auth.Identity, remote, hostname);
        metrics.StreamOpened(clock.GetElapsedTime(requested));
        var started = clock.GetUtcNow();
        Audit(AuditKinds.SessionStart, $"{hostname}: stream {stream.Id}");
        string outcome;
        try
        {
            var result = await ByteRelay.RunAsync(carrier, stream, materializer, KillSwitches.Shared($"client-{stream.Id}"));
            outcome = "closed";
            log.LogInformation("Stream {StreamId} ended: {Up} bytes to origin, {Down} bytes to client", stream.Id, result.AToB, result.BToA);
        }
        catch (Exception e)
        {
            outcome = "aborted: " + e.GetBaseException().Message;
            log.LogWarning("Stream {StreamId} to {Hostname} aborted: {Reason}", stream.Id, hostname, e.GetBaseException().Message);
        }
        var seconds = (clock.GetUtcNow() - started).TotalSeconds;
        metrics.StreamClosed(stream.BytesOut, stream.BytesIn);
        Audit(AuditKinds.SessionEnd, $"{hostname}: stream {stream.Id} {outcome}; bytes_to_origin={stream.BytesOut} bytes_to_client={stream.BytesIn} duration_s={seconds:0.###}");

        void Audit(string kind, string detail) =>
            audit.Record(new AuditEvent(clock.GetUtcNow(), kind, auth.Application?.Name, auth.Identity!, remote, Detail: detail));
    }

    private async Task<MuxStream?> OpenStreamAsync(HttpContext context, string hostname, string tunnelId, ClientAuthentication auth)
    {
        try
        {
            return await router.OpenAsync(new OpenPayload(hostname, auth.Identity!, MuxOptions.Default.StreamWindow), tunnelId, localOnly: false,
                context.RequestAborted, auth.Request);
        }
        catch (StreamRouteException e)
        {
            log.LogWarning("No stream for {Hostname}: {Reason}", hostname, e.Message);
            await Refuse(context, StatusCodes.Status502BadGateway, $"tunnel for {hostname} is down: {e.Message}");
            return null;
        }
    }

    private async Task<System.Net.WebSockets.WebSocket?> AcceptOrAbort(HttpContext context, MuxStream stream)
    {
        try { return await context.WebSockets.AcceptWebSocketAsync(); }
        catch (Exception e)
        {
            stream.Abort(new IOException($"client went away during the upgrade: {e.Message}"));
            return null;
        }
    }

    private Task Refuse(HttpContext context, int status, string reason)
    {
        metrics.Refused(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.Response.StatusCode = status;
        context.Response.Headers[ErrorHeader] = reason;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason + "\n");
    }
}
