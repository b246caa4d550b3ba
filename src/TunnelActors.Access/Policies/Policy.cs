namespace TunnelActors.Access.Policies;

/// <summary>What a matching policy does.</summary>
public enum PolicyAction
{
    /// <summary>Let a signed-in user in.</summary>
    Allow,
    /// <summary>Keep the matching identity out.</summary>
    Block,
    /// <summary>No identity needed at all (evaluated first).</summary>
    Bypass,
    /// <summary>Let a non-human credential (service token) in without a login (evaluated first).</summary>
    ServiceAuth,
}

/// <summary>
/// A policy matches when any include rule matches, every require rule matches and no
/// exclude rule matches. <see cref="Why"/> explains the match for audit and `policy test`.
/// </summary>
public sealed record Policy(string Name, PolicyAction Action, IReadOnlyList<Rule> Include,
    IReadOnlyList<Rule>? Require = null, IReadOnlyList<Rule>? Exclude = null)
{
    public IReadOnlyList<Rule> RequireRules => Require ?? [];
    public IReadOnlyList<Rule> ExcludeRules => Exclude ?? [];

    /// <summary>The include rule that matched, or null when the policy does not match the request.</summary>
    public Rule? Why(AccessRequest request)
    {
        var included = Include.FirstOrDefault(r => r.Matches(request));
        if (included is null) return null;
        if (!RequireRules.All(r => r.Matches(request))) return null;
        if (ExcludeRules.Any(r => r.Matches(request))) return null;
        return included;
    }
}

/// <summary>
/// A protected application: a hostname or a wildcard (<c>*.site.test</c>), how long a login
/// lasts, and its policies in order.
/// </summary>
public sealed record AccessApplication(string Name, string Domain, TimeSpan SessionDuration, IReadOnlyList<Policy> Policies)
{
    public bool Covers(string hostname)
    {
        hostname = hostname.ToLowerInvariant();
        var domain = Domain.ToLowerInvariant();
        return domain.StartsWith("*.", StringComparison.Ordinal)
            ? hostname.EndsWith(domain[1..], StringComparison.Ordinal) && hostname.Length > domain.Length - 1
            : hostname == domain;
    }
}

/// <summary>A DNS zone the edge issues origin certificates for, and who administers it.</summary>
public sealed record Zone(string Name, IReadOnlyList<Rule> Admins)
{
    public bool IsAdministeredBy(AccessRequest request) => request.IsUser && Admins.Any(r => r.Matches(request));
}
