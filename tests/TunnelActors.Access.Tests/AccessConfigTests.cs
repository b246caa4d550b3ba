using System.Net;
using TunnelActors.Access.Policies;

namespace TunnelActors.Access.Tests;

public sealed class AccessConfigTests
{
    [Fact]
    public void Parse_FullExample_BuildsApplicationsAndPolicies()
    {
        var apps = AccessConfig.Parse("""
            applications:
              - name: SMB share
                domain: smb.site.test
                session_duration: 8h
                policies:
                  - name: ci
                    decision: service_auth
                    include: [{ service_token: [abc.access] }]
                  - name: team
                    decision: allow
                    include:
                      - email_domain: example.com
                      - group: [eng, ops]
                    require:
                      - ip: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]
                    exclude:
                      - email: Mallory@Example.com
            """);

        var app = Assert.Single(apps);
        Assert.Equal(TimeSpan.FromHours(8), app.SessionDuration);
        Assert.Equal(2, app.Policies.Count);
        var team = app.Policies[1];
        Assert.Equal(PolicyAction.Allow, team.Action);
        Assert.True(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Parse("10.9.9.9"), "bob@example.com", null, "otp")).Allowed);
        Assert.False(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Parse("10.9.9.9"), "mallory@example.com", null, "otp")).Allowed);
        Assert.True(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Parse("192.0.2.7"), "x@y.z", new HashSet<string> { "ops" }, "otp")).Allowed);
        Assert.True(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Loopback, ServiceTokenId: "abc.access")).Allowed);
    }

    [Fact]
    public void Parse_EmbeddedDefault_LetsServiceTokensAndSignedInUsersIntoTheDevZone()
    {
        var app = Assert.Single(AccessConfig.Parse(AccessConfig.EmbeddedDefault));

        Assert.True(app.Covers("smb.site.test"));
        Assert.True(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Loopback, ServiceTokenId: "t")).Allowed);
        Assert.True(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Loopback, "a@b.c", null, "otp")).Allowed);
        Assert.False(PolicyEvaluator.Decide(app, new AccessRequest(IPAddress.Loopback)).Allowed);
    }

    [Fact]
    public void Parse_TheShippedExample_IsValid()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "TunnelActors.sln"))) root = root.Parent!;

        var apps = AccessConfig.Parse(File.ReadAllText(Path.Combine(root.FullName, "config", "edge.yaml")), "config/edge.yaml");

        Assert.Equal("SMB file share", PolicyEvaluator.Find(apps, "smb.site.test")!.Name);
        var zone = Assert.Single(AccessConfig.ParseZones(File.ReadAllText(Path.Combine(root.FullName, "config", "edge.yaml"))));
        Assert.True(zone.IsAdministeredBy(new AccessRequest(IPAddress.Loopback, "alice@example.com", null, "oidc")));
        Assert.False(zone.IsAdministeredBy(new AccessRequest(IPAddress.Loopback, "bob@example.com", null, "oidc")));
        Assert.False(PolicyEvaluator.Decide(apps[0], new AccessRequest(IPAddress.Loopback, "bob@example.com", new HashSet<string> { "contractors" }, "otp")).Allowed);
    }

    [Theory]
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    policies:\n      - name: p\n        decision: allow\n        include: [{ emial: x@y.z }]\n", "applications[0].policies[0].include[0]: unknown selector 'emial'")]
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    policies:\n      - name: p\n        decision: maybe\n        include: [{ everyone: true }]\n", "applications[0].policies[0].decision 'maybe'")]
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    policies:\n      - name: p\n        decision: allow\n", "applications[0].policies[0].include: a policy needs at least one include rule")]
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    policies:\n      - name: p\n        decision: allow\n        include: [{ ip: 10.0.0.0/33 }]\n", "applications[0].policies[0].include[0].ip '10.0.0.0/33'")]
    [InlineData("applications:\n  - domain: a.test\n", "applications[0].name is required")]
    [InlineData("applications:\n  - name: a\n    domain: a.*.test\n", "a wildcard must be the whole first label")]
    [InlineData("applications:\n  - name: a\n    domain: a.test\n    session_duration: forever\n", "session_duration 'forever'")]
    [InlineData("applications:\n  - name: [unclosed\n", "edge.yaml:")]
    public void Parse_BadConfig_NamesPathAndProblem(string yaml, string expected)
    {
        var error = Assert.Throws<AccessConfigException>(() => AccessConfig.Parse(yaml, "edge.yaml"));

        Assert.Contains(expected, error.Message);
    }
}
