using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TunnelActors.Access;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Login;
using TunnelActors.Edge.State;
using TunnelActors.Edge.Streams;

namespace TunnelActors.Edge.Ops;

/// <summary>
/// The admin API's part that grants and takes back access: service tokens (create, list,
/// rotate, revoke), sign-in sessions (list, revoke one, revoke all of a user's). Every
/// revocation is audited and announced cluster-wide (<see cref="AccessRevoked"/>), so the live
/// streams it covers end on whichever edge they run.
/// </summary>
public static class AccessControlApi
{
    private static readonly TimeSpan DefaultOverlap = TimeSpan.FromHours(24);
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public sealed record CreateServiceToken(string? Name, string? Duration);

    public static void MapAccessControl(this RouteGroupBuilder api)
    {
        api.MapPost("/service-tokens", (CreateServiceToken body, ServiceTokenStore tokens, IAuditLog audit, TimeProvider clock) =>
        {
            var name = body.Name?.Trim() ?? "";
            if (name.Length is 0 or > 100) return Error(400, "a service token needs a name of 1 to 100 characters");
            TimeSpan? lifetime = null;
            if (body.Duration is { Length: > 0 } text)
            {
                if (!Durations.TryParse(text, out var parsed) || parsed <= TimeSpan.Zero || parsed > MaxLifetime)
                    return Error(400, $"duration '{text}' is not a lifetime between 1s and 3650d (examples: 24h, 8760h)");
                lifetime = parsed;
            }
            var (token, record) = tokens.Create(name, lifetime, clock.GetUtcNow());
            Record(audit, clock, AuditKinds.ServiceToken, record.ClientId, $"service token '{name}' ({record.ClientId}) created, expires {record.ExpiresAt?.ToString("u") ?? "never"}");
            return Results.Json(new { client_id = token.ClientId, client_secret = token.ClientSecret, name, expires_at = record.ExpiresAt });
        });

        api.MapGet("/service-tokens", (ServiceTokenStore tokens) => Results.Json(new { service_tokens = tokens.List() }));

        api.MapPost("/service-tokens/{id}/rotate", (string id, string? overlap, ServiceTokenStore tokens, IAuditLog audit, TimeProvider clock) =>
        {
            var keep = DefaultOverlap;
            if (overlap is { Length: > 0 } && (!Durations.TryParse(overlap, out keep) || keep > TimeSpan.FromDays(30)))
                return Error(400, $"overlap '{overlap}' is not a duration of at most 30d (examples: 0s, 1h, 24h)");
            var rotated = tokens.Rotate(id, keep, clock.GetUtcNow());
            if (rotated is null) return Error(404, $"no live service token '{id}' (unknown, revoked or expired: create a new one)");
            Record(audit, clock, AuditKinds.ServiceToken, id, $"service token {id} rotated; the previous secret is valid for {keep}");
            return Results.Json(new { client_id = id, client_secret = rotated.ClientSecret, previous_secret_valid_until = clock.GetUtcNow() + keep });
        });

        api.MapPost("/service-tokens/{id}/revoke", (string id, string? reason, ServiceTokenStore tokens, IAuditLog audit, TimeProvider clock, ActorSystem system) =>
        {
            var why = Why(reason);
            if (tokens.Revoke(id, why, clock.GetUtcNow()) is not { } record) return Error(404, $"no service token '{id}'");
            Record(audit, clock, AuditKinds.Revocation, id, $"service token '{record.Name}' ({id}) revoked: {why}");
            new AccessRevoked(RevocationScope.ServiceToken, id, $"service token '{record.Name}' revoked: {why}").Publish(system);
            return Results.Json(new { client_id = id, revoked_at = record.RevokedAt });
        });

        api.MapGet("/sessions", (string? identity, string? application, bool? all, int? limit, SessionStore sessions, TimeProvider clock) =>
            Results.Json(new { sessions = sessions.List(identity, application, all ?? false, clock.GetUtcNow(), limit ?? 100) }));

        api.MapPost("/sessions/{id}/revoke", (string id, string? reason, SessionStore sessions, IAuditLog audit, TimeProvider clock, ActorSystem system) =>
        {
            var why = Why(reason);
            if (sessions.Revoke(id, why, clock.GetUtcNow()) is not { } session) return Error(404, $"no session '{id}'");
            Record(audit, clock, AuditKinds.Revocation, session.Identity, $"session {id} of {session.Identity} for {session.Application} revoked: {why}", session.Application);
            new AccessRevoked(RevocationScope.Session, id, $"session revoked: {why}").Publish(system);
            return Results.Json(new { session = id, identity = session.Identity, revoked_at = session.RevokedAt });
        });

        api.MapPost("/identities/{email}/revoke", (string email, string? reason, SessionStore sessions, IAuditLog audit, TimeProvider clock, ActorSystem system) =>
        {
            if (EmailAddress.Normalize(email, out var problem) is not { } address) return Error(400, $"'{email}' is not an email address: {problem}");
            var why = Why(reason);
            var count = sessions.RevokeIdentity(address, why, clock.GetUtcNow());
            Record(audit, clock, AuditKinds.Revocation, address, $"every session of {address} revoked ({count}): {why}");
            new AccessRevoked(RevocationScope.Identity, address, $"every session of {address} revoked: {why}").Publish(system);
            return Results.Json(new { identity = address, sessions_revoked = count });
        });
    }

    private static void Record(IAuditLog audit, TimeProvider clock, string kind, string subject, string detail, string? application = null) =>
        audit.Record(new AuditEvent(clock.GetUtcNow(), kind, application, subject, "admin-api", Detail: detail));

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    // An operator's reason goes to the audit log, the database and every affected client: bounded.
    private static string Why(string? reason) =>
        reason?.Trim() is { Length: > 0 } given ? (given.Length <= 200 ? given : given[..200]) : "revoked by an operator";
}
