using System.Collections.Concurrent;

namespace TunnelActors.Access.Login;

/// <summary>
/// Hands what a browser login produced (an app token, or an origin certificate for
/// `tunnel login`) to the waiting CLI: the CLI picks an unguessable transfer id, the edge
/// parks the result under it, the CLI fetches it once.
/// Parked tokens expire after <see cref="Lifetime"/>; the store is bounded.
/// </summary>
public sealed class TokenTransfers(TimeProvider clock)
{
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);
    public int MaxParked { get; init; } = 10_000;

    /// <summary>Transfer ids must carry at least 128 bits: the id is the only secret protecting the token.</summary>
    public static bool IsWellFormed(string? transfer) =>
        transfer is { Length: >= 22 and <= 128 } && transfer.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public const string Token = "token";
    public const string Certificate = "certificate";

    private readonly ConcurrentDictionary<string, (string Kind, string Value, DateTimeOffset ExpiresAt)> _parked = new();

    public bool Park(string transfer, string kind, string value)
    {
        if (!IsWellFormed(transfer)) return false;
        var now = clock.GetUtcNow();
        foreach (var (id, parked) in _parked)
            if (parked.ExpiresAt <= now) _parked.TryRemove(id, out _);
        if (_parked.Count >= MaxParked) return false;
        _parked[transfer] = (kind, value, now + Lifetime);
        return true;
    }

    /// <summary>What was parked, once; null while the login is pending (or if it expired).</summary>
    public (string Kind, string Value)? Collect(string transfer) =>
        _parked.TryRemove(transfer, out var parked) && parked.ExpiresAt > clock.GetUtcNow() ? (parked.Kind, parked.Value) : null;
}
