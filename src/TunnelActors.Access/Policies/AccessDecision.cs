namespace TunnelActors.Access.Policies;

/// <summary>The outcome of evaluating an application's policies for one request, with its reason.</summary>
public sealed record AccessDecision(bool Allowed, string Application, string? Policy, PolicyAction? Action, string? Rule, string Reason)
{
    public override string ToString() =>
        $"{(Allowed ? "ALLOW" : "DENY")} by {(Policy is null ? "default deny" : $"policy '{Policy}' ({Action}, {Rule})")}: {Reason}";
}
