namespace TunnelActors.Access.Policies;

/// <summary>
/// Decides like Cloudflare Access: Bypass and Service Auth policies first (in their order),
/// then Allow and Block top-down; the first policy that matches decides; nothing matching
/// means deny. A request with only a service token can be let in by Bypass or Service Auth,
/// never by Allow (that needs a signed-in user); Block applies to everyone.
/// </summary>
public static class PolicyEvaluator
{
    public static AccessDecision Decide(AccessApplication application, AccessRequest request)
    {
        var first = application.Policies.Where(p => p.Action is PolicyAction.Bypass or PolicyAction.ServiceAuth);
        var then = application.Policies.Where(p => p.Action is PolicyAction.Allow or PolicyAction.Block);
        foreach (var policy in first.Concat(then))
        {
            if (NotApplicable(policy, request) is not null) continue;
            if (policy.Why(request) is not { } rule) continue;

            var allowed = policy.Action != PolicyAction.Block;
            var verb = allowed ? "matches" : "is blocked by";
            return new AccessDecision(allowed, application.Name, policy.Name, policy.Action, rule.Describe(),
                $"{request.Identity} from {request.SourceIp} {verb} '{rule.Describe()}'");
        }
        return new AccessDecision(false, application.Name, null, null, null,
            $"no policy of '{application.Name}' matches {request.Identity} from {request.SourceIp}");
    }

    /// <summary>For each policy in the application's order: whether it matches the request, and why.</summary>
    public static IEnumerable<(Policy Policy, string Outcome)> Explain(AccessApplication application, AccessRequest request) =>
        application.Policies.Select(p => (p, NotApplicable(p, request)
            ?? (p.Why(request) is { } rule ? $"matches ({rule.Describe()})" : "does not match")));

    /// <summary>Why a policy cannot decide for this kind of request at all, or null when it can.</summary>
    private static string? NotApplicable(Policy policy, AccessRequest request) => policy.Action switch
    {
        PolicyAction.ServiceAuth when !request.IsServiceToken => "not applicable: needs a service token",
        PolicyAction.Allow when !request.IsUser => "not applicable: needs a signed-in user",
        _ => null,
    };

    /// <summary>The first application covering <paramref name="hostname"/>: exact names before wildcards.</summary>
    public static AccessApplication? Find(IEnumerable<AccessApplication> applications, string hostname) =>
        applications.Where(a => a.Covers(hostname)).OrderBy(a => a.Domain.StartsWith("*.", StringComparison.Ordinal) ? 1 : 0).FirstOrDefault();
}
