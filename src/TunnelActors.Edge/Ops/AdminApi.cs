using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Policies;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Streams;
using Microsoft.Extensions.DependencyInjection;

namespace TunnelActors.Edge.Ops;

/// <summary>
/// The operators' API under /api/, behind a bearer admin token (data/admin-token, 0600;
/// compared in constant time). Everything else is refused with 401 and the reason.
/// </summary>
public static class AdminApi
{
    public const string Prefix = "/api";

    // Every edge re-reads the stored applications and decides its live streams again.
    private static void PoliciesChanged(IServiceProvider services, string reason) =>
        new AccessRevoked(RevocationScope.Policies, "", reason).Publish(services.GetRequiredService<Akka.Actor.ActorSystem>());

    public static void MapAdminApi(this WebApplication app, string adminToken)
    {
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(adminToken));
        var api = app.MapGroup(Prefix).AddEndpointFilter(async (context, next) =>
        {
            var header = context.HttpContext.Request.Headers.Authorization.ToString();
            var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : "";
            if (presented.Length == 0)
                return Results.Json(new { error = "admin API: send `Authorization: Bearer <admin token>` (see data/admin-token)" }, statusCode: 401);
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected))
                return Results.Json(new { error = "admin API: wrong admin token" }, statusCode: 401);
            return await next(context);
        });

        api.MapGet("/tunnels", async (LiveState live, CancellationToken cancellationToken) =>
            Results.Json(new { tunnels = await live.TunnelsAsync(cancellationToken) }));

        api.MapGet("/cluster", async (LiveState live, CancellationToken cancellationToken) => Results.Json(await live.ClusterAsync(cancellationToken)));

        api.MapPost("/connections/{id}/close", async (string id, string? reason, LiveState live, CancellationToken cancellationToken) =>
            await live.CloseAsync(id, reason ?? "no reason given", cancellationToken)
                ? Results.Json(new { closing = id })
                : Results.Json(new { error = $"no live connection '{id}'" }, statusCode: 404));

        api.MapAccessControl();

        api.MapGet("/streams", async (LiveState live, CancellationToken cancellationToken) => Results.Json(await live.StreamsAsync(cancellationToken)));

        api.MapPost("/streams/{id}/close", async (string id, string? reason, LiveState live, CancellationToken cancellationToken) =>
            await live.CloseStreamAsync(id, reason ?? "no reason given", cancellationToken) is { } node
                ? Results.Json(new { closing = id, node })
                : Results.Json(new { error = $"no live stream '{id}' on any edge" }, statusCode: 404));

        // Drain a connector replica before maintenance: new streams go to the other replicas
        // (this one only if nothing else is live); its open streams carry on. `resume` undoes it.
        foreach (var (action, drain) in new[] { ("drain", true), ("resume", false) })
            api.MapPost($"/tunnels/{{tunnel}}/replicas/{{replica}}/{action}",
                async (string tunnel, string replica, LiveState live, CancellationToken cancellationToken) =>
                    await live.DrainReplicaAsync(tunnel, replica, drain, cancellationToken) is var count and > 0
                        ? Results.Json(new { tunnel, replica, draining = drain, connections = count })
                        : Results.Json(new { error = $"tunnel {tunnel} has no live connection of replica {replica}" }, statusCode: 404));

        // Origin certificates: every one `tunnel login` issued, and revocation (refused at registration from then on, on every edge).
        api.MapGet("/origin-certificates", (TunnelActors.Edge.Hosting.EdgeIdentity edge) =>
            Results.Json(new { certificates = edge.OriginCertificates.List() }));
        api.MapPost("/origin-certificates/{serial}/revoke", (string serial, string? reason, TunnelActors.Edge.Hosting.EdgeIdentity edge, IAuditLog audit) =>
        {
            if (serial.Length is 0 or > 64 || !serial.Replace(":", "").All(char.IsAsciiHexDigit))
                return Results.Json(new { error = $"'{serial}' is not a certificate serial number (hex)" }, statusCode: 400);
            var revoked = edge.OriginCertificates.Revoke(serial, reason ?? "revoked by an operator");
            audit.Record(new AuditEvent(DateTimeOffset.UtcNow, AuditKinds.OriginCertificate, null, "operator", "admin-api", false,
                Detail: $"origin certificate {serial} revoked: {reason ?? "no reason given"}"));
            return Results.Json(new { serial = TunnelActors.Edge.State.OriginCertificateStore.Normalize(serial), revoked = true, already = !revoked });
        });

        api.MapGet("/audit", (IAuditLog audit, string? kind, string? application, string? identity, DateTimeOffset? since, int? limit, long? before) =>
        {
            var events = audit.Query(new AuditQuery(kind, application, identity, since, limit ?? 100, before));
            return Results.Json(new { events, next_before = events.Count == 0 ? (long?)null : events[^1].Id });
        });

        // Create or replace an application: the same shape as an entry of `applications:` in the configuration.
        api.MapPut("/applications", async (HttpContext context, AccessPolicySource policies) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (body.Length > 64 * 1024) return Results.Json(new { error = "application definition larger than 64 KiB" }, statusCode: 413);
            try
            {
                var application = policies.Save(body);
                PoliciesChanged(context.RequestServices, $"application '{application.Name}' saved through the admin API");
                return Results.Json(new { saved = application.Name, domain = application.Domain });
            }
            catch (AccessConfigException e) { return Results.Json(new { error = e.Message }, statusCode: 400); }
        });

        api.MapDelete("/applications/{name}", (string name, AccessPolicySource policies, HttpContext context) =>
        {
            if (!policies.Delete(name)) return Results.Json(new { error = $"no application '{name}' was created through the API" }, statusCode: 404);
            PoliciesChanged(context.RequestServices, $"application '{name}' deleted through the admin API");
            return Results.NoContent();
        });

        api.MapGet("/applications", (AccessPolicySource policies) => Results.Json(new
        {
            applications = policies.Applications.Select(a => new
            {
                a.Name,
                a.Domain,
                session_duration = a.SessionDuration.ToString(),
                policies = a.Policies.Select(p => new
                {
                    p.Name,
                    action = p.Action.ToString(),
                    include = p.Include.Select(r => r.Describe()),
                    require = p.RequireRules.Select(r => r.Describe()),
                    exclude = p.ExcludeRules.Select(r => r.Describe()),
                }),
            }),
        }));
    }
}
