using System.Net;

namespace TunnelActors.Access.Policies;

/// <summary>
/// Who is asking, as far as the edge knows: a signed-in user (email, groups, login method),
/// a service token, or neither. Always with the source address. <paramref name="SessionId"/> is
/// the sign-in session a user's token belongs to (what revoking a session matches).
/// </summary>
public sealed record AccessRequest(IPAddress SourceIp, string? Email = null, IReadOnlySet<string>? Groups = null,
    string? LoginMethod = null, string? ServiceTokenId = null, string? SessionId = null)
{
    public IReadOnlySet<string> GroupSet => Groups ?? EmptyGroups;
    public bool IsUser => Email is not null;
    public bool IsServiceToken => ServiceTokenId is not null;

    /// <summary>How the identity appears in logs and audit events.</summary>
    public string Identity => Email ?? (ServiceTokenId is { } id ? $"service-token:{id}" : "anonymous");

    private static readonly IReadOnlySet<string> EmptyGroups = new HashSet<string>();
}
