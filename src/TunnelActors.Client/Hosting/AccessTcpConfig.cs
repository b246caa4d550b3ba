using TunnelActors.Access;
using YamlDotNet.RepresentationModel;

namespace TunnelActors.Client.Hosting;

/// <summary>
/// `access tcp --config access.yml`: one process, several applications, each on its own
/// local port. Shared `edge` (URL or list) and `ca-file`, then `listeners:` entries of
/// `hostname` and `url`:
/// <code>
/// edge: [https://edge-a.example.com, https://edge-b.example.com]
/// listeners:
///   - hostname: smb.site.com
///     url: localhost:8445
///   - hostname: db.site.com
///     url: localhost:15432
/// </code>
/// </summary>
public sealed record AccessTcpConfig(IReadOnlyList<string> Edges, string? CaFile, IReadOnlyList<(string Hostname, string Url)> Listeners)
{
    public static AccessTcpConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{path}: no such file");
        var yaml = new YamlFile(path, message => new ArgumentException(message));
        var root = yaml.Root(File.ReadAllText(path), "expected a mapping with `listeners:`");
        yaml.OnlyKeys(root, ["edge", "ca-file", "listeners"], name => $"unknown setting `{name}` (known: edge, ca-file, listeners)");
        var edges = yaml.Urls(root, "edge");
        if (YamlFile.Field(root, "listeners") is not YamlSequenceNode entries || entries.Children.Count == 0)
            throw yaml.Error("`listeners:` must list at least one `- hostname: ...` with its local `url: ...`");
        var listeners = entries.Children.Select((node, i) => node is YamlMappingNode entry
                ? (yaml.Text(entry, "hostname")?.ToLowerInvariant() ?? throw yaml.At(entry, $"listener {i + 1} has no `hostname`"),
                   yaml.Text(entry, "url") ?? throw yaml.At(entry, $"listener {i + 1} has no `url` (the local address, e.g. localhost:8445)"))
                : throw yaml.At(node, $"listener {i + 1} must be a mapping with `hostname` and `url`"))
            .ToList();
        foreach (var duplicate in listeners.GroupBy(l => l.Item2).Where(g => g.Count() > 1))
            throw new ArgumentException($"{path}: local address {duplicate.Key} is used by {string.Join(" and ", duplicate.Select(d => d.Item1))}");
        return new AccessTcpConfig(edges, yaml.Text(root, "ca-file"), listeners);
    }
}
