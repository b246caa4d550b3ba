using System.Text.Json;
using TunnelActors.Access;

namespace TunnelActors.Origin.Ingress;

/// <summary>
/// A named tunnel's credentials file, written by `tunnel create` (0600), in cloudflared's
/// field names: whoever holds it may run the tunnel, so it is a secret like the origin certificate.
/// </summary>
public sealed record TunnelCredentials(string AccountTag, string TunnelID, string TunnelName, string TunnelSecret)
{
    public static string DefaultDirectory => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tunnelactors");

    public static string DefaultPath(string tunnelId) => Path.Combine(DefaultDirectory, $"{tunnelId}.json");

    public static TunnelCredentials Load(string path)
    {
        if (!File.Exists(path)) throw new TunnelConfigException($"credentials file {path} not found (written by `tunnelactors tunnel create`)");
        try
        {
            var credentials = JsonSerializer.Deserialize<TunnelCredentials>(File.ReadAllText(path));
            return credentials is { TunnelID.Length: > 0, TunnelSecret.Length: > 0 }
                ? credentials
                : throw new TunnelConfigException($"{path}: TunnelID and TunnelSecret are required");
        }
        catch (JsonException e) { throw new TunnelConfigException($"{path}: not a credentials file ({e.Message})"); }
    }

    public void Write(string path) =>
        SecretFile.Write(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
}
