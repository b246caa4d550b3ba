using TunnelActors.Origin.Ingress;

namespace TunnelActors.Origin.Tests;

public sealed class TunnelConfigTests
{
    private const string Valid = """
        tunnel: files
        credentials-file: /etc/tunnelactors/files.json
        edge: [https://edge-a:443, https://edge-b:443]
        ingress:
          - hostname: smb.site.com
            service: tcp://localhost:445
          - hostname: "*.files.site.com"
            service: tcp://10.0.0.5:445
          - service: http_status:404
        """;

    [Fact]
    public void Parse_ValidConfig_ReadsEveryField()
    {
        var config = TunnelConfig.Parse(Valid, "config.yml");

        Assert.Equal("files", config.Tunnel);
        Assert.Equal("/etc/tunnelactors/files.json", config.CredentialsFile);
        Assert.Equal(["https://edge-a:443", "https://edge-b:443"], config.Edges);
        Assert.Equal(3, config.Ingress.Rules.Count);
        Assert.Equal(404, config.Ingress.Rules[^1].Status);
    }

    [Theory]
    [InlineData("smb.site.com", "tcp://localhost:445/")]
    [InlineData("SMB.site.com", "tcp://localhost:445/")]
    [InlineData("a.files.site.com", "tcp://10.0.0.5:445/")]
    [InlineData("x.y.files.site.com", "tcp://10.0.0.5:445/")]
    [InlineData("files.site.com", "http_status:404")]
    [InlineData("other.site.com", "http_status:404")]
    public void Match_Hostname_FirstMatchingRuleInOrder(string hostname, string expected)
    {
        var rules = TunnelConfig.Parse(Valid, "config.yml").Ingress;

        Assert.Equal(expected, rules.Match(hostname).Describe());
    }

    [Theory]
    [InlineData("tunnel: t\ningress:\n  - hostname: a.com\n    service: tcp://x:1\n", "config.yml:3: ingress rule 1 is the last rule")]
    [InlineData("tunnel: t\ningress:\n  - service: tcp://x:1\n  - hostname: a.com\n    service: tcp://x:2\n", "config.yml:3: ingress rule 1 has no `hostname`")]
    [InlineData("tunnel: t\ningress:\n  - hostname: a.com\n    service: htp://x:1\n  - service: http_status:404\n", "config.yml:3: ingress rule 1: service 'htp://x:1' is not tcp://host:port")]
    [InlineData("tunnel: t\ningress:\n  - hostname: a.*.com\n    service: tcp://x:1\n  - service: http_status:404\n", "config.yml:3: ingress rule 1: hostname 'a.*.com' is not a hostname")]
    [InlineData("tunnel: t\ningress:\n  - hostname: a.com\n    servce: tcp://x:1\n  - service: http_status:404\n", "config.yml:4: ingress rule 1: unknown key `servce`")]
    [InlineData("tunel: t\ningress:\n  - service: http_status:404\n", "config.yml:1: unknown setting `tunel`")]
    [InlineData("tunnel: t\n", "config.yml: `ingress:` must list at least one rule")]
    [InlineData("ingress:\n  - service: http_status:404\n", "config.yml: `tunnel:` (the tunnel's id or name) is required")]
    [InlineData("tunnel: t\ningress: [\n", "config.yml:")]
    public void Parse_BadConfig_NamesLineAndReason(string yaml, string expected)
    {
        var error = Assert.Throws<TunnelConfigException>(() => TunnelConfig.Parse(yaml, "config.yml"));

        Assert.StartsWith(expected, error.Message);
    }
}
