using System.Net;
using TunnelActors.Access.Policies;

namespace TunnelActors.Access.Tests;

public sealed class PolicyEvaluatorTests
{
    private static readonly IPAddress Office = IPAddress.Parse("10.1.2.3");
    private static readonly IPAddress Home = IPAddress.Parse("203.0.113.9");

    private static AccessRequest User(string email, string[]? groups = null, IPAddress? ip = null, string method = "otp") =>
        new(ip ?? Office, email, groups?.ToHashSet(), method);

    private static AccessRequest Token(string id, IPAddress? ip = null) => new(ip ?? Office, ServiceTokenId: id);

    private static Policy P(string name, PolicyAction action, Rule[] include, Rule[]? require = null, Rule[]? exclude = null) =>
        new(name, action, include, require, exclude);

    private static AccessApplication App(params Policy[] policies) => new("smb", "smb.site.test", TimeSpan.FromHours(1), policies);

    private static HashSet<string> S(params string[] values) => values.ToHashSet();

    public static TheoryData<string, Rule, AccessRequest, bool> Selectors => new()
    {
        { "everyone matches a user", new EveryoneRule(), User("a@x.com"), true },
        { "everyone matches a token", new EveryoneRule(), Token("t1"), true },
        { "email exact", new EmailRule(S("alice@example.com")), User("alice@example.com"), true },
        { "email case-insensitive", new EmailRule(S("alice@example.com")), User("Alice@Example.com"), true },
        { "email other", new EmailRule(S("alice@example.com")), User("bob@example.com"), false },
        { "email on token", new EmailRule(S("alice@example.com")), Token("t1"), false },
        { "domain match", new EmailDomainRule(S("example.com")), User("bob@example.com"), true },
        { "domain suffix trick", new EmailDomainRule(S("example.com")), User("bob@evilexample.com"), false },
        { "domain subdomain", new EmailDomainRule(S("example.com")), User("bob@mail.example.com"), false },
        { "group member", new GroupRule(S("eng")), User("a@x.com", ["eng", "ops"]), true },
        { "group other", new GroupRule(S("eng")), User("a@x.com", ["sales"]), false },
        { "group none", new GroupRule(S("eng")), User("a@x.com"), false },
        { "ip v4 in range", new IpRangeRule([IPNetwork.Parse("10.0.0.0/8")]), User("a@x.com", ip: Office), true },
        { "ip v4 out of range", new IpRangeRule([IPNetwork.Parse("10.0.0.0/8")]), User("a@x.com", ip: Home), false },
        { "ip v4-mapped v6", new IpRangeRule([IPNetwork.Parse("10.0.0.0/8")]), User("a@x.com", ip: Office.MapToIPv6()), true },
        { "ip v6 in range", new IpRangeRule([IPNetwork.Parse("2001:db8::/32")]), User("a@x.com", ip: IPAddress.Parse("2001:db8::5")), true },
        { "ip v6 out of range", new IpRangeRule([IPNetwork.Parse("2001:db8::/32")]), User("a@x.com", ip: IPAddress.Parse("2001:db9::5")), false },
        { "token specific", new ServiceTokenRule(S("t1")), Token("t1"), true },
        { "token other", new ServiceTokenRule(S("t1")), Token("t2"), false },
        { "token rule on user", new ServiceTokenRule(S("t1")), User("a@x.com"), false },
        { "any token", new AnyValidServiceTokenRule(), Token("t9"), true },
        { "any token on user", new AnyValidServiceTokenRule(), User("a@x.com"), false },
        { "login method otp", new LoginMethodRule(S("otp")), User("a@x.com", method: "otp"), true },
        { "login method oidc", new LoginMethodRule(S("otp")), User("a@x.com", method: "oidc"), false },
    };

    [Theory]
    [MemberData(nameof(Selectors))]
    public void Rule_Selector_MatchesAsSpecified(string name, Rule rule, AccessRequest request, bool expected)
    {
        Assert.True(expected == rule.Matches(request), name);
    }

    public static TheoryData<string, Policy, AccessRequest, bool> Combinations => new()
    {
        { "include any-of: second matches", P("p", PolicyAction.Allow, [new EmailRule(S("x@y.z")), new GroupRule(S("eng"))]), User("a@x.com", ["eng"]), true },
        { "include any-of: none matches", P("p", PolicyAction.Allow, [new EmailRule(S("x@y.z")), new GroupRule(S("eng"))]), User("a@x.com"), false },
        { "require all-of: all hold", P("p", PolicyAction.Allow, [new EveryoneRule()], require: [new GroupRule(S("eng")), new IpRangeRule([IPNetwork.Parse("10.0.0.0/8")])]), User("a@x.com", ["eng"]), true },
        { "require all-of: one fails", P("p", PolicyAction.Allow, [new EveryoneRule()], require: [new GroupRule(S("eng")), new IpRangeRule([IPNetwork.Parse("10.0.0.0/8")])]), User("a@x.com", ["eng"], Home), false },
        { "exclude none-of: excluded", P("p", PolicyAction.Allow, [new EmailDomainRule(S("x.com"))], exclude: [new EmailRule(S("mallory@x.com"))]), User("mallory@x.com"), false },
        { "exclude none-of: not excluded", P("p", PolicyAction.Allow, [new EmailDomainRule(S("x.com"))], exclude: [new EmailRule(S("mallory@x.com"))]), User("alice@x.com"), true },
        { "all three kinds", P("p", PolicyAction.Allow, [new EmailDomainRule(S("x.com"))], [new LoginMethodRule(S("oidc"))], [new GroupRule(S("contractors"))]), User("a@x.com", ["eng"], method: "oidc"), true },
        { "all three kinds: exclude wins", P("p", PolicyAction.Allow, [new EmailDomainRule(S("x.com"))], [new LoginMethodRule(S("oidc"))], [new GroupRule(S("contractors"))]), User("a@x.com", ["contractors"], method: "oidc"), false },
    };

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Policy_RuleKinds_CombineAsIncludeAnyRequireAllExcludeNone(string name, Policy policy, AccessRequest request, bool expected)
    {
        Assert.True(expected == (policy.Why(request) is not null), name);
    }

    [Fact]
    public void Decide_NoPolicies_DeniesByDefault()
    {
        var decision = PolicyEvaluator.Decide(App(), User("a@x.com"));

        Assert.False(decision.Allowed);
        Assert.Null(decision.Policy);
        Assert.Contains("no policy", decision.Reason);
    }

    [Fact]
    public void Decide_BypassListedLast_IsEvaluatedBeforeBlock()
    {
        var app = App(P("block all", PolicyAction.Block, [new EveryoneRule()]), P("office bypass", PolicyAction.Bypass, [new IpRangeRule([IPNetwork.Parse("10.0.0.0/8")])]));

        var decision = PolicyEvaluator.Decide(app, new AccessRequest(Office));

        Assert.True(decision.Allowed);
        Assert.Equal("office bypass", decision.Policy);
    }

    [Fact]
    public void Decide_BlockAboveAllow_WinsTopDown()
    {
        var app = App(P("no contractors", PolicyAction.Block, [new GroupRule(S("contractors"))]), P("company", PolicyAction.Allow, [new EmailDomainRule(S("x.com"))]));

        var blocked = PolicyEvaluator.Decide(app, User("c@x.com", ["contractors"]));
        var allowed = PolicyEvaluator.Decide(app, User("e@x.com", ["eng"]));

        Assert.False(blocked.Allowed);
        Assert.Equal("no contractors", blocked.Policy);
        Assert.True(allowed.Allowed);
        Assert.Equal("company", allowed.Policy);
    }

    [Fact]
    public void Decide_AllowAboveBlock_WinsTopDown()
    {
        var app = App(P("alice", PolicyAction.Allow, [new EmailRule(S("alice@x.com"))]), P("block x.com", PolicyAction.Block, [new EmailDomainRule(S("x.com"))]));

        Assert.True(PolicyEvaluator.Decide(app, User("alice@x.com")).Allowed);
        Assert.False(PolicyEvaluator.Decide(app, User("bob@x.com")).Allowed);
    }

    [Fact]
    public void Decide_ServiceToken_OnlyServiceAuthLetsItIn()
    {
        var allowEveryone = App(P("everyone", PolicyAction.Allow, [new EveryoneRule()]));
        var serviceAuth = App(P("ci", PolicyAction.ServiceAuth, [new ServiceTokenRule(S("t1"))]));

        Assert.False(PolicyEvaluator.Decide(allowEveryone, Token("t1")).Allowed);
        Assert.True(PolicyEvaluator.Decide(serviceAuth, Token("t1")).Allowed);
        Assert.False(PolicyEvaluator.Decide(serviceAuth, Token("t2")).Allowed);
    }

    [Fact]
    public void Decide_User_NeverLetInByServiceAuth()
    {
        var app = App(P("anything", PolicyAction.ServiceAuth, [new EveryoneRule()]));

        Assert.False(PolicyEvaluator.Decide(app, User("a@x.com")).Allowed);
    }

    [Fact]
    public void Decide_BlockAppliesToServiceTokensToo()
    {
        var app = App(P("ci", PolicyAction.ServiceAuth, [new AnyValidServiceTokenRule()], exclude: [new ServiceTokenRule(S("revoked"))]),
            P("block home", PolicyAction.Block, [new IpRangeRule([IPNetwork.Parse("203.0.113.0/24")])]));

        Assert.True(PolicyEvaluator.Decide(app, Token("t1")).Allowed);
        Assert.False(PolicyEvaluator.Decide(app, Token("revoked")).Allowed);
    }

    [Fact]
    public void Decide_Allowed_ExplainsPolicyAndRule()
    {
        var app = App(P("engineers", PolicyAction.Allow, [new GroupRule(S("eng"))]));

        var decision = PolicyEvaluator.Decide(app, User("a@x.com", ["eng"]));

        Assert.Equal(("engineers", PolicyAction.Allow, "group eng"), (decision.Policy, decision.Action, decision.Rule));
        Assert.Contains("a@x.com", decision.Reason);
    }

    [Theory]
    [InlineData("smb.site.test", "exact")]
    [InlineData("files.site.test", "wild")]
    [InlineData("a.b.site.test", "wild")]
    [InlineData("site.test", null)]
    [InlineData("smb.site.test.evil", null)]
    public void Find_ExactBeforeWildcard(string hostname, string? expected)
    {
        AccessApplication[] apps = [new("wild", "*.site.test", TimeSpan.FromHours(1), []), new("exact", "smb.site.test", TimeSpan.FromHours(1), [])];

        Assert.Equal(expected, PolicyEvaluator.Find(apps, hostname)?.Name);
    }
}
