using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Tokens;
using TunnelActors.Edge.State;
using TunnelActors.Edge.Streams;

namespace TunnelActors.Edge.Access;

/// <summary>
/// `POST https://&lt;hostname&gt;/cdn-cgi/access/logout` (or `?app=&lt;hostname&gt;` on any edge
/// address) with the app token in Cf-Access-Token (`tunnelactors access logout`): ends the caller's own session — its token is refused from
/// then on and its live streams end, on every edge.
/// </summary>
public static class LogoutEndpoint
{
    public const string Path = "/cdn-cgi/access/logout";

    public static void MapLogout(this WebApplication app) =>
        app.MapPost(Path, async (HttpContext context, AccessPolicySource policies, Sessions sessions, IAuditLog audit, TimeProvider clock, ActorSystem system) =>
        {
            var hostname = (context.Request.Query["app"].ToString() is { Length: > 0 } named ? named : context.Request.Host.Host).ToLowerInvariant();
            if (policies.Find(hostname) is not { } application)
                return Results.Json(new { error = $"no Access application covers {hostname}" }, statusCode: StatusCodes.Status404NotFound);
            TokenIdentity identity;
            try { identity = await sessions.VerifyAsync(context.Request.Headers[Clients.ClientAuthenticator.TokenHeader].ToString(), application); }
            catch (TokenRejectedException e) { return Results.Json(new { error = $"not signed in: {e.Message}" }, statusCode: StatusCodes.Status401Unauthorized); }
            var id = identity.SessionId!;
            sessions.Store.Revoke(id, "signed out", clock.GetUtcNow());
            audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.Revocation, application.Name, identity.Email,
                context.Connection.RemoteIpAddress?.ToString(), Detail: $"session {id} signed out by its user"));
            new AccessRevoked(RevocationScope.Session, id, "signed out").Publish(system);
            return Results.Json(new { signed_out = identity.Email, session = id });
        });
}
