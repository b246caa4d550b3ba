using System.CommandLine;

namespace TunnelActors.Cli.Commands;

/// <summary>Flags shared by `tunnel` and `access tcp`, spelled as cloudflared spells them.</summary>
public static class CommonOptions
{
    public static Option<string> Hostname(string description) => new("--hostname") { Description = description, Required = true };

    public static Option<string?> Edge() => new("--edge")
    {
        Description = "Edge URL (default https://<hostname>: in production DNS points the hostname at the edge)",
    };

    /// <summary>`--edge`, repeatable: several edge replicas of one cluster.</summary>
    public static Option<string[]> Edges(string use) => new("--edge")
    {
        Description = $"Edge URL (default https://<hostname>: in production DNS points the hostname at the edge); repeat for several edge replicas: {use}",
    };

    /// <summary>The first `--edge` (or the hostname's default) and the others.</summary>
    public static (Uri First, IReadOnlyList<Uri> Others) EdgeUris(string[]? edges, string hostname) =>
        (EdgeUri(edges?.FirstOrDefault(), hostname), (edges ?? []).Skip(1).Select(e => EdgeUri(e, hostname)).ToList());

    public static Option<string?> CaFile() => new("--ca-file")
    {
        Description = "PEM CA certificate to trust for the edge (the embedded edge writes data/edge-ca.pem)",
    };

    /// <summary>
    /// A secret from, in order: its file flag (read, trimmed), its environment variable, or its
    /// command-line flag — the last one with a warning, since every local user sees it in `ps`.
    /// </summary>
    public static string? Secret(string? flagValue, string flagName, string? file, string environmentVariable)
    {
        if (file is not null)
        {
            TunnelActors.Access.SecretDirectory.CheckPrivate(file);
            return File.ReadAllText(file).Trim();
        }
        if (Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment) return fromEnvironment;
        if (flagValue is not null)
            Console.Error.WriteLine($"warning: {flagName} on the command line is visible to every local user (ps); use {flagName}-file or {environmentVariable}");
        return flagValue;
    }

    public static Uri EdgeUri(string? edge, string hostname)
    {
        var text = string.IsNullOrEmpty(edge) ? $"https://{hostname}" : edge;
        if (!text.Contains("://", StringComparison.Ordinal)) text = "https://" + text;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "wss" or "ws"
            ? uri
            : throw new ArgumentException($"--edge '{edge}' is not an https:// URL");
    }
}
