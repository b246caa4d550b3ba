using System.Globalization;
using System.Net;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace TunnelActors.Access.Policies;

/// <summary>A configuration problem: names the file position or the path of the bad field, and what is wrong.</summary>
public sealed class AccessConfigException(string message) : Exception(message);

/// <summary>
/// Reads the `applications:` section of the edge configuration (YAML). Every problem is
/// reported with its path (applications[0].policies[1].include[0]) and the fix.
/// </summary>
public static class AccessConfig
{
    /// <summary>The embedded default: the dev zone lets in the dev service token and anyone who signs in.</summary>
    public const string EmbeddedDefault = """
        applications:
          - name: dev zone
            domain: "*.site.test"
            session_duration: 24h
            policies:
              - name: dev service tokens
                decision: service_auth
                include:
                  - any_valid_service_token: true
              - name: anyone who signs in
                decision: allow
                include:
                  - everyone: true
        """;

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    public static IReadOnlyList<AccessApplication> Parse(string yaml, string source = "configuration") =>
        (Read(yaml, source)?.Applications ?? []).Select((a, i) => ToApplication(Present(a, $"{source}: applications[{i}]"), $"{source}: applications[{i}]")).ToList();

    /// <summary>The `zones:` section: which zones `tunnel login` may issue origin certificates for, and to whom.</summary>
    public static IReadOnlyList<Zone> ParseZones(string yaml, string source = "configuration") =>
        (Read(yaml, source)?.Zones ?? []).Select((z, i) =>
        {
            var path = $"{source}: zones[{i}]";
            Present(z, path);
            return new Zone(Required(z.Name, $"{path}.name").ToLowerInvariant(), Rules(z.Admins, $"{path}.admins"));
        }).ToList();

    private static Document? Read(string yaml, string source)
    {
        try { return Yaml.Deserialize<Document>(yaml); }
        catch (YamlException e)
        {
            throw new AccessConfigException($"{source}:{e.Start.Line}:{e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        // YamlDotNet reports some malformed input this way instead (found by ops/fuzz): still the file's fault.
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new AccessConfigException($"{source}: not valid YAML: {e.Message}");
        }
    }

    // An empty list item (`- `) reads as null.
    private static T Present<T>(T? value, string path) where T : class =>
        value ?? throw new AccessConfigException($"{path}: empty entry");

    private static AccessApplication ToApplication(ApplicationDocument app, string path)
    {
        var name = Required(app.Name, $"{path}.name");
        var domain = Required(app.Domain, $"{path}.domain").ToLowerInvariant();
        if (domain.Contains('*') && !(domain.StartsWith("*.", StringComparison.Ordinal) && domain.LastIndexOf('*') == 0))
            throw new AccessConfigException($"{path}.domain '{domain}': a wildcard must be the whole first label, like *.site.test");
        var duration = app.SessionDuration is null ? TimeSpan.FromHours(24) : ParseDuration(app.SessionDuration, $"{path}.session_duration");
        var policies = (app.Policies ?? []).Select((p, i) => ToPolicy(Present(p, $"{path}.policies[{i}]"), $"{path}.policies[{i}]")).ToList();
        return new AccessApplication(name, domain, duration, policies);
    }

    private static Policy ToPolicy(PolicyDocument policy, string path)
    {
        var name = Required(policy.Name, $"{path}.name");
        var action = Required(policy.Decision, $"{path}.decision") switch
        {
            "allow" => PolicyAction.Allow,
            "block" or "deny" => PolicyAction.Block,
            "bypass" => PolicyAction.Bypass,
            "service_auth" or "non_identity" => PolicyAction.ServiceAuth,
            var other => throw new AccessConfigException($"{path}.decision '{other}': use allow, block, bypass or service_auth"),
        };
        var include = Rules(policy.Include, $"{path}.include");
        if (include.Count == 0) throw new AccessConfigException($"{path}.include: a policy needs at least one include rule (use `everyone: true` for all)");
        return new Policy(name, action, include, Rules(policy.Require, $"{path}.require"), Rules(policy.Exclude, $"{path}.exclude"));
    }

    private static List<Rule> Rules(List<Dictionary<string, object>>? rules, string path) =>
        (rules ?? []).Select((r, i) => ToRule(Present(r, $"{path}[{i}]"), $"{path}[{i}]")).ToList();

    private static Rule ToRule(Dictionary<string, object> rule, string path)
    {
        if (rule.Count != 1) throw new AccessConfigException($"{path}: a rule has exactly one selector, found {rule.Count}");
        var (selector, value) = rule.First();
        return selector switch
        {
            "everyone" => new EveryoneRule(),
            "any_valid_service_token" => new AnyValidServiceTokenRule(),
            "email" => new EmailRule(Set(value, lower: true)),
            "email_domain" => new EmailDomainRule(Set(value, lower: true)),
            "group" => new GroupRule(Set(value, lower: false)),
            "service_token" => new ServiceTokenRule(Set(value, lower: false)),
            "login_method" => new LoginMethodRule(Set(value, lower: true)),
            "ip" => new IpRangeRule(Strings(value).Select(v => Network(v, path)).ToList()),
            _ => throw new AccessConfigException(
                $"{path}: unknown selector '{selector}'; use everyone, email, email_domain, group, ip, service_token, any_valid_service_token or login_method"),
        };
    }

    private static IPNetwork Network(string text, string path)
    {
        if (IPNetwork.TryParse(text, out var network)) return network;
        if (IPAddress.TryParse(text, out var address)) return new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        throw new AccessConfigException($"{path}.ip '{text}': not an address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32)");
    }

    private static IReadOnlySet<string> Set(object value, bool lower) =>
        Strings(value).Select(s => lower ? s.ToLowerInvariant() : s).ToHashSet();

    private static IEnumerable<string> Strings(object value) => value switch
    {
        string s => [s],
        IEnumerable<object> list => list.Select(o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? ""),
        _ => [Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""],
    };

    private static string Required(string? value, string path) =>
        string.IsNullOrWhiteSpace(value) ? throw new AccessConfigException($"{path} is required") : value.Trim();

    private static TimeSpan ParseDuration(string text, string path) =>
        Durations.TryParse(text, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new AccessConfigException($"{path} '{text}': not a duration (examples: 30m, 24h, 7d)");

    private sealed class Document
    {
        public List<ApplicationDocument>? Applications { get; set; }
        public List<ZoneDocument>? Zones { get; set; }
    }

    private sealed class ZoneDocument
    {
        public string? Name { get; set; }
        public List<Dictionary<string, object>>? Admins { get; set; }
    }

    private sealed class ApplicationDocument
    {
        public string? Name { get; set; }
        public string? Domain { get; set; }
        public string? SessionDuration { get; set; }
        public List<PolicyDocument>? Policies { get; set; }
    }

    private sealed class PolicyDocument
    {
        public string? Name { get; set; }
        public string? Decision { get; set; }
        public List<Dictionary<string, object>>? Include { get; set; }
        public List<Dictionary<string, object>>? Require { get; set; }
        public List<Dictionary<string, object>>? Exclude { get; set; }
    }
}
