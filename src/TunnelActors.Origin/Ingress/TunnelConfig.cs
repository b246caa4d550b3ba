using TunnelActors.Access;
using YamlDotNet.RepresentationModel;

namespace TunnelActors.Origin.Ingress;

/// <summary>A configuration error, with the file and line it is on.</summary>
public sealed class TunnelConfigException(string message) : Exception(message);

/// <summary>
/// One ingress rule: requests for <see cref="Hostname"/> (exact, or `*.` wildcard for one or
/// more leftmost labels; none = every hostname) go to <see cref="Service"/> (tcp://host:port),
/// or are refused with <see cref="Status"/> (`http_status:404`, as cloudflared's catch-all).
/// </summary>
public sealed record IngressRule(string? Hostname, Uri? Service, int? Status, int Line)
{
    public bool Matches(string hostname) => Hostname switch
    {
        null => true,
        ['*', '.', .. var suffix] => hostname.EndsWith("." + suffix, StringComparison.OrdinalIgnoreCase),
        var exact => string.Equals(exact, hostname, StringComparison.OrdinalIgnoreCase),
    };

    public string Describe() => Service is not null ? Service.ToString() : $"http_status:{Status}";
}

/// <summary>Ordered ingress rules; the last one matches every hostname.</summary>
public sealed record IngressRules(IReadOnlyList<IngressRule> Rules)
{
    /// <summary>A quick tunnel: every stream goes to one service.</summary>
    public static IngressRules Single(Uri service) => new([new IngressRule(null, service, null, 0)]);

    public IngressRule Match(string hostname) => Rules.First(r => r.Matches(hostname));
}

/// <summary>
/// `tunnel run --config config.yml`, in cloudflared's shape: `tunnel` (id or name),
/// `credentials-file`, optional `edge` (list), `ca-file`, `ha-connections`, and `ingress` —
/// rules tried in order, each with a `service`, all but the last with a `hostname`, the last a
/// catch-all. Every problem is reported with its line.
/// </summary>
public sealed record TunnelConfig(string Tunnel, string? CredentialsFile, IReadOnlyList<string> Edges, string? CaFile, int? HaConnections, IngressRules Ingress)
{
    public static TunnelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new TunnelConfigException($"{path}: no such file");
        return Parse(File.ReadAllText(path), path);
    }

    public static TunnelConfig Parse(string yaml, string source)
    {
        var file = new YamlFile(source, message => new TunnelConfigException(message));
        var root = file.Root(yaml, "expected a mapping with `tunnel:` and `ingress:`");
        file.OnlyKeys(root, ["tunnel", "credentials-file", "edge", "ca-file", "ha-connections", "ingress"],
            name => $"unknown setting `{name}` (known: tunnel, credentials-file, edge, ca-file, ha-connections, ingress)");

        var tunnel = file.Text(root, "tunnel") ?? throw file.Error("`tunnel:` (the tunnel's id or name) is required");
        var edges = file.Urls(root, "edge");
        int? ha = null;
        if (YamlFile.Field(root, "ha-connections") is { } haNode)
            ha = haNode is YamlScalarNode { Value: var haText } && int.TryParse(haText, out var n) && n is >= 1 and <= 64 ? n : throw file.At(haNode, "`ha-connections` must be 1-64");
        if (YamlFile.Field(root, "ingress") is not YamlSequenceNode ingress || ingress.Children.Count == 0)
            throw file.Error("`ingress:` must list at least one rule, the last a catch-all (`- service: http_status:404`)");

        var rules = new List<IngressRule>();
        for (var i = 0; i < ingress.Children.Count; i++)
        {
            var node = ingress.Children[i];
            var label = $"ingress rule {i + 1}";
            if (node is not YamlMappingNode rule) throw file.At(node, $"{label} must be a mapping with `service` (and `hostname`)");
            file.OnlyKeys(rule, ["hostname", "service"], name => $"{label}: unknown key `{name}` (a TCP rule has `hostname` and `service`)");
            var hostname = file.Text(rule, "hostname")?.ToLowerInvariant();
            var service = file.Text(rule, "service") ?? throw file.At(rule, $"{label} has no `service`");
            var last = i == ingress.Children.Count - 1;
            if (last && hostname is not null)
                throw file.At(rule, $"{label} is the last rule, so it must match every hostname: drop its `hostname` (e.g. `- service: http_status:404`)");
            if (!last && hostname is null)
                throw file.At(rule, $"{label} has no `hostname`: only the last rule may be a catch-all");
            if (hostname is not null && (hostname.IndexOf('*', 1) >= 0 || (hostname.StartsWith('*') && !hostname.StartsWith("*.")) || Uri.CheckHostName(hostname.TrimStart('*', '.')) != UriHostNameType.Dns))
                throw file.At(rule, $"{label}: hostname '{hostname}' is not a hostname (a wildcard is allowed only as the leftmost label, `*.example.com`)");
            rules.Add(ParseService(service) switch
            {
                (Uri uri, null) => new IngressRule(hostname, uri, null, (int)rule.Start.Line),
                (null, int status) => new IngressRule(hostname, null, status, (int)rule.Start.Line),
                _ => throw file.At(rule, $"{label}: service '{service}' is not tcp://host:port or http_status:NNN"),
            });
        }
        return new TunnelConfig(tunnel, file.Text(root, "credentials-file"), edges, file.Text(root, "ca-file"), ha, new IngressRules(rules));
    }

    private static (Uri?, int?) ParseService(string service)
    {
        if (service.StartsWith("http_status:", StringComparison.Ordinal))
            return int.TryParse(service["http_status:".Length..], out var status) && status is >= 100 and <= 599 ? (null, status) : (null, null);
        return Uri.TryCreate(service, UriKind.Absolute, out var uri) && uri.Scheme == "tcp" && uri.Port > 0 && uri.AbsolutePath == "/"
            ? (uri, null)
            : (null, null);
    }
}
