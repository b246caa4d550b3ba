using Akka.Actor;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.State;
using TunnelActors.Edge.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Edge.Clients;

/// <summary>
/// `wss://&lt;hostname&gt;/` — cloudflared's `access tcp` carrier. Authenticates, finds the
/// hostname's tunnel, has a stream actor (<see cref="EdgeStreamActor"/>) open a stream on one of
/// its connections, and only then accepts the WebSocket and hands it to that actor, awaiting its
/// end. Every refusal happens before any byte reaches the origin and carries its reason in the
/// status line body and a header. On <see cref="ClientCarrier.Path"/>, an authenticated client's
/// multiplexed carrier instead (<see cref="ClientCarrierActor"/>), whose streams are decided one by one.
/// </summary>
public sealed class ClientEndpoint(
    ClientAuthenticator authenticator, EdgeStore store, TimeProvider clock, IActorRef streams, IActorRef carriers, string node,
    EdgeMetrics metrics, Hosting.EdgeDrain drain, Hosting.ClusterQuorum quorum, ILogger<ClientEndpoint> log)
{
    private long _carriers;

    public const string ErrorHeader = Transport.Tls.EdgeDialer.ErrorHeader;
    public const string StreamIdHeader = Transport.Tls.EdgeDialer.StreamIdHeader;

    // Above the stream actor's own open deadline: it always answers first.
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(25);

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
        if (quorum.Refusal is { } refusal)
        {
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, refusal); // on the minority side: clients fail over alike
            return;
        }

        var phase = clock.GetTimestamp();
        var auth = await authenticator.AuthenticateAsync(context.Request, hostname);
        metrics.StreamPhase(StreamPhases.Authenticate, clock.GetElapsedTime(phase));
        if (!auth.Allowed)
        {
            log.LogWarning("Client {Remote} refused for {Hostname}: {Reason}", remote, hostname, auth.Reason);
            await Refuse(context, auth.Status, auth.Reason);
            return;
        }

        if (context.Request.Path == ClientCarrier.Path)
        {
            await AcceptCarrierAsync(context, auth.Identity!);
            return;
        }

        phase = clock.GetTimestamp();
        var found = store.FindRoute(hostname);
        metrics.StreamPhase(StreamPhases.RouteLookup, clock.GetElapsedTime(phase));
        if (found is not { } route)
        {
            log.LogWarning("Client {Remote} asked for unknown hostname {Hostname}", remote, hostname);
            await Refuse(context, StatusCodes.Status404NotFound, $"unknown hostname {hostname}: no tunnel routes it");
            return;
        }

        object answer;
        try
        {
            var access = new StreamAccess(hostname, auth.Identity!, auth.Application?.Name, auth.Request!);
            phase = clock.GetTimestamp();
            answer = await streams.Ask<object>(new OpenClientStream(access, route.TunnelId, requested), OpenTimeout, context.RequestAborted);
            metrics.StreamPhase(StreamPhases.Open, clock.GetElapsedTime(phase));
        }
        catch (OperationCanceledException) { return; } // the client left: its stream actor gives up at its attach deadline
        catch (AskTimeoutException)
        {
            await Refuse(context, StatusCodes.Status504GatewayTimeout, $"this edge did not place a stream for {hostname} within {OpenTimeout.TotalSeconds:0} s");
            return;
        }
        if (answer is not ClientStreamReady ready)
        {
            var reason = (answer as StreamRefused)?.Reason ?? answer.ToString();
            await Refuse(context, StatusCodes.Status502BadGateway, $"tunnel for {hostname} is down: {reason}");
            return;
        }

        System.Net.WebSockets.WebSocket webSocket;
        context.Response.Headers[StreamIdHeader] = ready.StreamId; // the client logs it: one id for the stream on every hop
        try { webSocket = await context.WebSockets.AcceptWebSocketAsync(); }
        catch (Exception e)
        {
            ready.Stream.Tell(new AbandonClient($"client went away during the upgrade: {e.Message}"));
            return;
        }
        using var client = new WebSocketChannel(webSocket);
        var ended = ready.Stream.WatchAsync();
        ready.Stream.Tell(new AttachClient(client));
        await ended;
        await client.Ended; // a Close frame naming why the stream was ended is on its way: let it go out

    }

    private async Task AcceptCarrierAsync(HttpContext context, string identity)
    {
        var source = context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None;
        var id = $"c{Interlocked.Increment(ref _carriers)}@{node}";
        var admitted = await carriers.Ask<object>(new AdmitCarrier(source), TimeSpan.FromSeconds(5), context.RequestAborted);
        if (admitted is CarrierRefused refused)
        {
            await Refuse(context, StatusCodes.Status429TooManyRequests, refused.Reason);
            return;
        }
        context.Response.Headers[ClientCarrier.OfferHeader] = ClientCarrier.Version;
        context.Response.Headers[ClientCarrier.CarrierIdHeader] = id;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        System.Net.WebSockets.WebSocket webSocket;
        try { webSocket = await context.WebSockets.AcceptWebSocketAsync(); }
        catch (Exception)
        {
            carriers.Tell(new CarrierGone(source)); // the client went away during the upgrade
            return;
        }
        carriers.Tell(new AcceptCarrier(webSocket, id, source, $"{source}:{context.Connection.RemotePort}", identity, done));
        using var _ = context.RequestAborted.Register(() => webSocket.Abort()); // the actor sees its carrier end and stops
        await done.Task;
    }

    private Task Refuse(HttpContext context, int status, string reason)
    {
        metrics.Refused(status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.Response.ContentType = "text/plain; charset=utf-8";
        return Hosting.UpgradeRefusal.WriteAsync(context, status, reason);
    }
}
