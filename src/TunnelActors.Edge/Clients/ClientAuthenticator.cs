using Microsoft.AspNetCore.Http;
using TunnelActors.Access.ServiceTokens;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Clients;

/// <summary>Outcome of checking a client's credential: who it is, or the HTTP status and reason to refuse with.</summary>
public sealed record ClientAuthentication(string? Identity, int Status, string Reason)
{
    public bool Allowed => Identity is not null;
    public static ClientAuthentication Allow(string identity) => new(identity, StatusCodes.Status200OK, "");
    public static ClientAuthentication Deny(int status, string reason) => new(null, status, reason);
}

/// <summary>
/// Checks the credential of an `access tcp` connection: a service token in
/// Cf-Access-Client-Id / Cf-Access-Client-Secret (cloudflared's headers). Default deny.
/// </summary>
public sealed class ClientAuthenticator(EdgeStore store)
{
    public const string ClientIdHeader = "Cf-Access-Client-Id";
    public const string ClientSecretHeader = "Cf-Access-Client-Secret";
    public const string TokenHeader = "Cf-Access-Token";

    public ClientAuthentication Authenticate(HttpRequest request)
    {
        var clientId = request.Headers[ClientIdHeader].ToString();
        var secret = request.Headers[ClientSecretHeader].ToString();
        if (clientId.Length == 0 && secret.Length == 0)
        {
            return request.Headers.ContainsKey(TokenHeader)
                ? ClientAuthentication.Deny(StatusCodes.Status401Unauthorized, "Access tokens are not accepted by this edge yet; use a service token")
                : ClientAuthentication.Deny(StatusCodes.Status401Unauthorized, $"no credential: send a service token in {ClientIdHeader} and {ClientSecretHeader}");
        }
        if (clientId.Length == 0 || secret.Length == 0)
            return ClientAuthentication.Deny(StatusCodes.Status401Unauthorized, $"incomplete service token: both {ClientIdHeader} and {ClientSecretHeader} are required");

        var storedHash = store.FindServiceTokenHash(clientId);
        // Compare against a dummy hash for unknown ids too, so timing does not reveal which ids exist.
        var matches = ServiceToken.SecretMatches(secret, storedHash ?? new byte[32]);
        return storedHash is not null && matches
            ? ClientAuthentication.Allow($"service-token:{clientId}")
            : ClientAuthentication.Deny(StatusCodes.Status403Forbidden, "service token rejected: unknown client id or wrong secret");
    }
}
