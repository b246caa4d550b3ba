using YamlDotNet.Core;
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
        var stream = new YamlStream();
        try { stream.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlException e) { throw new ArgumentException($"{path}:{e.Start.Line}: not valid YAML: {e.InnerException?.Message ?? e.Message}"); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ArgumentException($"{path}: expected a mapping with `listeners:`");

        ArgumentException At(YamlNode node, string reason) => new($"{path}:{node.Start.Line}: {reason}");
        YamlNode? Field(YamlMappingNode map, string name) =>
            map.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: var key } && key == name).Value;
        string? Text(YamlMappingNode map, string name) => Field(map, name) switch
        {
            null => null,
            YamlScalarNode { Value: { Length: > 0 } value } => value,
            var other => throw At(other, $"`{name}` must be a non-empty text"),
        };

        foreach (var (key, _) in root.Children)
            if (key is YamlScalarNode { Value: var name } && name is not ("edge" or "ca-file" or "listeners"))
                throw At(key, $"unknown setting `{name}` (known: edge, ca-file, listeners)");
        var edges = Field(root, "edge") switch
        {
            null => [],
            YamlScalarNode { Value: { Length: > 0 } one } => [one],
            YamlSequenceNode list => list.Children.Select(e => e is YamlScalarNode { Value: { Length: > 0 } url } ? url : throw At(e, "`edge` entries must be URLs")).ToList(),
            var other => throw At(other, "`edge` must be a URL or a list of URLs"),
        };
        if (Field(root, "listeners") is not YamlSequenceNode entries || entries.Children.Count == 0)
            throw new ArgumentException($"{path}: `listeners:` must list at least one `- hostname: ...` with its local `url: ...`");
        var listeners = entries.Children.Select((node, i) => node is YamlMappingNode entry
                ? (Text(entry, "hostname")?.ToLowerInvariant() ?? throw At(entry, $"listener {i + 1} has no `hostname`"),
                   Text(entry, "url") ?? throw At(entry, $"listener {i + 1} has no `url` (the local address, e.g. localhost:8445)"))
                : throw At(node, $"listener {i + 1} must be a mapping with `hostname` and `url`"))
            .ToList();
        foreach (var duplicate in listeners.GroupBy(l => l.Item2).Where(g => g.Count() > 1))
            throw new ArgumentException($"{path}: local address {duplicate.Key} is used by {string.Join(" and ", duplicate.Select(d => d.Item1))}");
        return new AccessTcpConfig(edges, Text(root, "ca-file"), listeners);
    }
}
