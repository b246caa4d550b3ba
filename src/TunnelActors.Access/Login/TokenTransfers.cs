using System.Text.Json;

namespace TunnelActors.Access.Login;

/// <summary>
/// Hands what a browser login produced (an app token, or an origin certificate for
/// `tunnel login`) to the waiting CLI: the CLI picks an unguessable transfer id, the edge
/// parks the result under it, the CLI fetches it once — from any edge of the cluster.
/// Parked tokens expire after <see cref="Lifetime"/>; the store is bounded.
/// </summary>
public sealed class TokenTransfers(ILoginStateStore store, TimeProvider clock)
{
    private const string Kind = "transfer";

    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);
    public int MaxParked { get; init; } = 10_000;

    /// <summary>Transfer ids must carry at least 128 bits: the id is the only secret protecting the token.</summary>
    public static bool IsWellFormed(string? transfer) =>
        transfer is { Length: >= 22 and <= 128 } && transfer.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public const string Token = "token";
    public const string Certificate = "certificate";

    private sealed record Parked(string Kind, string Value);

    public bool Park(string transfer, string kind, string value)
    {
        if (!IsWellFormed(transfer)) return false;
        var now = clock.GetUtcNow();
        return store.Put(Kind, transfer, JsonSerializer.Serialize(new Parked(kind, value)), now + Lifetime, MaxParked, now);
    }

    /// <summary>What was parked, once; null while the login is pending (or if it expired).</summary>
    public (string Kind, string Value)? Collect(string transfer) =>
        store.Take(Kind, transfer, clock.GetUtcNow()) is { } json && JsonSerializer.Deserialize<Parked>(json) is { } parked
            ? (parked.Kind, parked.Value)
            : null;
}
