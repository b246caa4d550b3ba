using Microsoft.AspNetCore.Http;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Policies;
using TunnelActors.Access.Tokens;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Clients;

/// <summary>
/// Outcome of checking a client: who it is and the decision, or the HTTP status and reason to
/// refuse with. <paramref name="Request"/> is what was decided on (a peer edge decides again with it).
/// </summary>
public sealed record ClientAuthentication(string? Identity, int Status, string Reason, AccessApplication? Application = null, AccessRequest? Request = null)
{
    public bool Allowed => Identity is not null;
    public static ClientAuthentication Deny(int status, string reason, AccessApplication? app = null) => new(null, status, reason, app);
}

/// <summary>
/// Decides whether an `access tcp` connection may reach a hostname: finds the Access
/// application covering it, reads the credential (an app token in Cf-Access-Token, or a
/// service token in Cf-Access-Client-Id / -Secret as cloudflared sends them, or none — which
/// only a Bypass policy admits), and evaluates the application's policies. Default deny. Every
/// decision is audited, naming the session or the service token it was made for.
/// </summary>
public sealed class ClientAuthenticator(ServiceTokenStore serviceTokens, AccessPolicySource policies, Sessions tokens, IAuditLog audit, TimeProvider clock, EdgeMetrics metrics)
{
    public const string ClientIdHeader = "Cf-Access-Client-Id";
    public const string ClientSecretHeader = "Cf-Access-Client-Secret";
    public const string TokenHeader = "Cf-Access-Token";

    /// <summary>A per-connection WebSocket: the credential is in its upgrade request's headers.</summary>
    public Task<ClientAuthentication> AuthenticateAsync(HttpRequest request, string hostname) =>
        AuthenticateAsync(request.HttpContext.Connection.RemoteIpAddress ?? System.Net.IPAddress.None, hostname, name => request.Headers[name].ToString());

    /// <summary>Any stream from <paramref name="ip"/>: <paramref name="header"/> reads its credential's headers ("" when absent).</summary>
    public async Task<ClientAuthentication> AuthenticateAsync(System.Net.IPAddress ip, string hostname, Func<string, string> header)
    {
        var application = policies.Find(hostname);
        if (application is null)
            return Audit(ClientAuthentication.Deny(StatusCodes.Status403Forbidden, $"no Access application covers {hostname} (default deny)"), hostname, "unknown", ip);

        var (credential, failure, described) = await ReadCredentialAsync(header, application, ip);
        if (credential is null) return Audit(failure!, hostname, "unauthenticated", ip);

        var decision = PolicyEvaluator.Decide(application, credential);
        // No credential at all: only a Bypass policy (e.g. an office range) lets it in; otherwise ask for one.
        if (!decision.Allowed && described is null)
            return Audit(ClientAuthentication.Deny(StatusCodes.Status401Unauthorized,
                $"no credential: sign in with `tunnelactors access login https://{hostname}` or send a service token in {ClientIdHeader} and {ClientSecretHeader}", application),
                hostname, "anonymous", ip);
        metrics.Decided(decision.Allowed);
        audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.Decision, application.Name, credential.Identity, ip.ToString(),
            decision.Allowed, decision.Policy, decision.Rule, $"{hostname}: {decision.Reason}{described}"));
        return decision.Allowed
            ? new ClientAuthentication(credential.Identity, StatusCodes.Status200OK, decision.Reason, application, credential)
            : ClientAuthentication.Deny(StatusCodes.Status403Forbidden, $"access denied: {decision.Reason}", application);
    }

    /// <summary>The request to decide on, or the refusal; <c>Described</c> names the credential for the audit trail (null: none was sent).</summary>
    private async Task<(AccessRequest? Request, ClientAuthentication? Failure, string? Described)> ReadCredentialAsync(
        Func<string, string> header, AccessApplication application, System.Net.IPAddress ip)
    {
        var token = header(TokenHeader);
        if (token.Length > 0)
        {
            try
            {
                var identity = await tokens.VerifyAsync(token, application);
                return (new AccessRequest(ip, identity.Email, identity.Groups, identity.LoginMethod, SessionId: identity.SessionId), null, $" (session {identity.SessionId})");
            }
            catch (TokenRejectedException e)
            {
                return (null, ClientAuthentication.Deny(StatusCodes.Status401Unauthorized, $"Access token rejected: {e.Message}", application), null);
            }
        }

        var clientId = header(ClientIdHeader);
        var secret = header(ClientSecretHeader);
        if (clientId.Length == 0 && secret.Length == 0) return (new AccessRequest(ip), null, null);
        if (clientId.Length == 0 || secret.Length == 0)
            return (null, ClientAuthentication.Deny(StatusCodes.Status401Unauthorized, $"incomplete service token: both {ClientIdHeader} and {ClientSecretHeader} are required", application), null);

        var check = serviceTokens.Check(clientId, secret, clock.GetUtcNow());
        return check.Token is { } known
            ? (new AccessRequest(ip, ServiceTokenId: clientId), null, $" (service token '{known.Name}')")
            : (null, ClientAuthentication.Deny(StatusCodes.Status403Forbidden, check.Refusal!, application), null);
    }

    private ClientAuthentication Audit(ClientAuthentication denial, string hostname, string identity, System.Net.IPAddress ip)
    {
        audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.Decision, denial.Application?.Name, identity, ip.ToString(),
            false, null, null, $"{hostname}: {denial.Reason}"));
        return denial;
    }
}
