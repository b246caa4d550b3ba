using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace TunnelActors.Access;

/// <summary>
/// Reads a small YAML settings file node by node, so every problem is reported as
/// `source:line: reason`, through the exception type the caller's command reports.
/// </summary>
public sealed class YamlFile(string source, Func<string, Exception> error)
{
    /// <summary>Parses <paramref name="yaml"/>; its root must be a mapping (else "source: <paramref name="expected"/>").</summary>
    public YamlMappingNode Root(string yaml, string expected)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw error($"{source}:{e.Start.Line}: not valid YAML: {e.InnerException?.Message ?? e.Message}"); }
        // YamlDotNet reports some malformed input this way instead (found by ops/fuzz): still the file's fault.
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { throw error($"{source}: not valid YAML: {e.Message}"); }
        return stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root ? root : throw Error(expected);
    }

    public Exception At(YamlNode node, string reason) => error($"{source}:{node.Start.Line}: {reason}");

    public Exception Error(string reason) => error($"{source}: {reason}");

    public static YamlNode? Field(YamlMappingNode map, string name) =>
        map.Children.FirstOrDefault(c => c.Key is YamlScalarNode { Value: var key } && key == name).Value;

    /// <summary>A non-empty scalar, or null when absent.</summary>
    public string? Text(YamlMappingNode map, string name) => Field(map, name) switch
    {
        null => null,
        YamlScalarNode { Value: { Length: > 0 } value } => value,
        var other => throw At(other, $"`{name}` must be a non-empty text"),
    };

    /// <summary>One URL or a list of them (`edge:`); empty when absent.</summary>
    public IReadOnlyList<string> Urls(YamlMappingNode map, string name) => Field(map, name) switch
    {
        null => [],
        YamlScalarNode { Value: { Length: > 0 } one } => [one],
        YamlSequenceNode list => list.Children.Select(e => e is YamlScalarNode { Value: { Length: > 0 } url } ? url : throw At(e, $"`{name}` entries must be URLs")).ToList(),
        var other => throw At(other, $"`{name}` must be a URL or a list of URLs"),
    };

    /// <summary>Refuses a key outside <paramref name="known"/>, with the message <paramref name="unknown"/> builds.</summary>
    public void OnlyKeys(YamlMappingNode map, string[] known, Func<string, string> unknown)
    {
        foreach (var (key, _) in map.Children)
            if (key is YamlScalarNode { Value: { } name } && !known.Contains(name))
                throw At(key, unknown(name));
    }
}
