using System.Text;
using System.Text.Json;
using TunnelActors.Access;

namespace TunnelActors.Client.Login;

/// <summary>
/// App tokens cached per application hostname under ~/.tunnelactors/tokens/, mode 0600.
/// A token within a minute of expiry counts as missing, so a connection never starts with one
/// that dies during the handshake.
/// </summary>
public sealed class TokenCache(string directory, TimeProvider clock)
{
    public static string DefaultDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tunnelactors", "tokens");

    public string PathFor(string hostname) => Path.Combine(directory, hostname.ToLowerInvariant() + ".jwt");

    public string? Get(string hostname)
    {
        var path = PathFor(hostname);
        if (!File.Exists(path)) return null;
        var token = File.ReadAllText(path).Trim();
        return ExpiresAt(token) is { } expires && expires > clock.GetUtcNow().AddMinutes(1) ? token : null;
    }

    public void Put(string hostname, string token) => SecretFile.Write(PathFor(hostname), token);

    public void Remove(string hostname) => File.Delete(PathFor(hostname));

    /// <summary>The token's <c>exp</c>, read without verifying (the edge verifies); null if unreadable.</summary>
    public static DateTimeOffset? ExpiresAt(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return json.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException) { return null; }
    }
}
