using System.Net;

namespace TunnelActors.Access.Policies;

/// <summary>One selector of a policy's include / require / exclude lists.</summary>
public abstract record Rule
{
    public abstract bool Matches(AccessRequest request);

    /// <summary>How the rule reads in a decision's explanation, e.g. <c>email_domain example.com</c>.</summary>
    public abstract string Describe();
}

public sealed record EveryoneRule : Rule
{
    public override bool Matches(AccessRequest request) => true;
    public override string Describe() => "everyone";
}

public sealed record EmailRule(IReadOnlySet<string> Emails) : Rule
{
    // Only what reads as one plain address can match (Login.EmailAddress): never a list or a quoted form.
    public override bool Matches(AccessRequest request) =>
        Login.EmailAddress.Normalize(request.Email, out _) is { } email && Emails.Contains(email);
    public override string Describe() => "email " + string.Join(",", Emails);
}

public sealed record EmailDomainRule(IReadOnlySet<string> Domains) : Rule
{
    public override bool Matches(AccessRequest request) =>
        Login.EmailAddress.Normalize(request.Email, out _) is { } email && Domains.Contains(email[(email.IndexOf('@') + 1)..]);
    public override string Describe() => "email_domain " + string.Join(",", Domains);
}

public sealed record GroupRule(IReadOnlySet<string> Groups) : Rule
{
    public override bool Matches(AccessRequest request) => request.GroupSet.Overlaps(Groups);
    public override string Describe() => "group " + string.Join(",", Groups);
}

public sealed record IpRangeRule(IReadOnlyList<IPNetwork> Ranges) : Rule
{
    public override bool Matches(AccessRequest request)
    {
        var ip = request.SourceIp.IsIPv4MappedToIPv6 ? request.SourceIp.MapToIPv4() : request.SourceIp;
        return Ranges.Any(r => r.Contains(ip));
    }

    public override string Describe() => "ip " + string.Join(",", Ranges);
}

public sealed record ServiceTokenRule(IReadOnlySet<string> TokenIds) : Rule
{
    public override bool Matches(AccessRequest request) => request.ServiceTokenId is { } id && TokenIds.Contains(id);
    public override string Describe() => "service_token " + string.Join(",", TokenIds);
}

public sealed record AnyValidServiceTokenRule : Rule
{
    public override bool Matches(AccessRequest request) => request.IsServiceToken;
    public override string Describe() => "any_valid_service_token";
}

public sealed record LoginMethodRule(IReadOnlySet<string> Methods) : Rule
{
    public override bool Matches(AccessRequest request) => request.LoginMethod is { } method && Methods.Contains(method);
    public override string Describe() => "login_method " + string.Join(",", Methods);
}
