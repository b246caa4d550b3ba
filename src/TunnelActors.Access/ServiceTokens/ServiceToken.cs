using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace TunnelActors.Access.ServiceTokens;

/// <summary>A service token: a non-human credential sent as Cf-Access-Client-Id / -Secret headers.</summary>
public sealed record ServiceToken(
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("client_secret")] string ClientSecret)
{
    public static ServiceToken Generate() => new(
        Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant() + ".access",
        Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant());

    /// <summary>What the edge stores instead of the secret.</summary>
    public static byte[] HashSecret(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Constant-time check of a presented secret against a stored hash.</summary>
    public static bool SecretMatches(string presented, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(HashSecret(presented), storedHash);

    public override string ToString() => $"ServiceToken({ClientId}, secret hidden)";
}
