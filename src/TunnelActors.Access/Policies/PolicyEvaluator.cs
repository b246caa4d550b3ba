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
            if (policy.Action == PolicyAction.ServiceAuth && !request.IsServiceToken) continue;
            if (policy.Action == PolicyAction.Allow && !request.IsUser) continue;
            if (policy.Why(request) is not { } rule) continue;

            var allowed = policy.Action != PolicyAction.Block;
            var verb = allowed ? "matches" : "is blocked by";
            return new AccessDecision(allowed, application.Name, policy.Name, policy.Action, rule.Describe(),
                $"{request.Identity} from {request.SourceIp} {verb} '{rule.Describe()}'");
        }
        return new AccessDecision(false, application.Name, null, null, null,
            $"no policy of '{application.Name}' matches {request.Identity} from {request.SourceIp}");
    }

    /// <summary>The first application covering <paramref name="hostname"/>: exact names before wildcards.</summary>
    public static AccessApplication? Find(IEnumerable<AccessApplication> applications, string hostname) =>
        applications.Where(a => a.Covers(hostname)).OrderBy(a => a.Domain.StartsWith("*.", StringComparison.Ordinal) ? 1 : 0).FirstOrDefault();
}
