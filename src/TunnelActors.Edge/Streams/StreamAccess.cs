using TunnelActors.Access.Policies;

namespace TunnelActors.Edge.Streams;

/// <summary>
/// Who a stream is for and what let it in: the identity shown to operators and the connector,
/// the application that admitted it, and the request its policies decided on (source address,
/// session id or service-token id) — what a revocation or a policy change is matched against.
/// </summary>
public sealed record StreamAccess(string Hostname, string Identity, string? Application, AccessRequest Request)
{
    /// <summary>The credential as operators see it: "session &lt;id&gt;", "service token &lt;id&gt;" or "none (bypass)".</summary>
    public string Credential => Request.SessionId is { } session ? $"session {session}"
        : Request.ServiceTokenId is { } token ? $"service token {token}"
        : "none (bypass)";
}
