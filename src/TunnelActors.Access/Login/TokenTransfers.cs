using System.Collections.Concurrent;

namespace TunnelActors.Access.Login;

/// <summary>
/// Hands a token from the browser login to the waiting CLI: the CLI picks an unguessable
/// transfer id, the edge parks the token under it after login, the CLI fetches it once.
/// Parked tokens expire after <see cref="Lifetime"/>; the store is bounded.
/// </summary>
public sealed class TokenTransfers(TimeProvider clock)
{
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);
    public int MaxParked { get; init; } = 10_000;

    /// <summary>Transfer ids must carry at least 128 bits: the id is the only secret protecting the token.</summary>
    public static bool IsWellFormed(string? transfer) =>
        transfer is { Length: >= 22 and <= 128 } && transfer.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset ExpiresAt)> _parked = new();

    public bool Park(string transfer, string token)
    {
        if (!IsWellFormed(transfer)) return false;
        var now = clock.GetUtcNow();
        foreach (var (id, parked) in _parked)
            if (parked.ExpiresAt <= now) _parked.TryRemove(id, out _);
        if (_parked.Count >= MaxParked) return false;
        _parked[transfer] = (token, now + Lifetime);
        return true;
    }

    /// <summary>The token, once; null while the login is pending (or if it expired).</summary>
    public string? Collect(string transfer) =>
        _parked.TryRemove(transfer, out var parked) && parked.ExpiresAt > clock.GetUtcNow() ? parked.Token : null;
}
