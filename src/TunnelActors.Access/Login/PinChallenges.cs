using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TunnelActors.Access.Login;

/// <summary>Outcome of checking a one-time PIN.</summary>
public enum PinCheck { Accepted, Wrong, TooManyAttempts, ExpiredOrUnknown }

/// <summary>An issued one-time PIN: for whom (a normalised address), for which application, and the device sign-in it continues.</summary>
public sealed record PinChallenge(string Id, string Email, string Hostname, string? UserCode, DateTimeOffset ExpiresAt, bool Sent);

/// <summary>
/// One-time PINs: six random digits, stored only as a hash, valid for <see cref="Lifetime"/>,
/// at most <see cref="MaxAttempts"/> guesses, compared in constant time. Kept in the shared
/// login state, so the PIN may be entered on any edge; bounded to <see cref="MaxOutstanding"/>.
/// </summary>
public sealed class PinChallenges(ILoginStateStore store, TimeProvider clock)
{
    private const string Kind = "pin";

    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(10);
    public int MaxAttempts { get; init; } = 5;
    public int MaxOutstanding { get; init; } = 10_000;

    private sealed record Stored(PinChallenge Challenge, string PinSha256);

    /// <summary>
    /// Creates a challenge. The PIN is returned only when <paramref name="send"/> is true (the email
    /// may sign in); otherwise a challenge that can never succeed is created, so the page the
    /// user sees is the same either way. Null when too many challenges are outstanding.
    /// </summary>
    public (PinChallenge Challenge, string? Pin)? Create(string email, string hostname, string? userCode, bool send)
    {
        if (!EmailAddress.IsNormalized(email)) throw new ArgumentException("PIN challenges take a normalised address (EmailAddress.Normalize)", nameof(email));
        var now = clock.GetUtcNow();
        var pin = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        var challenge = new PinChallenge(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
            email, hostname, userCode, now + Lifetime, send);
        // An unsendable challenge hashes a random secret nobody knows.
        var hash = Hash(send ? pin : Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var stored = JsonSerializer.Serialize(new Stored(challenge, Convert.ToHexString(hash)));
        return store.Put(Kind, challenge.Id, stored, challenge.ExpiresAt, MaxOutstanding, now) ? (challenge, send ? pin : null) : null;
    }

    /// <summary>The live challenge behind an id, without counting a guess; null when unknown or expired.</summary>
    public PinChallenge? Peek(string challengeId) =>
        store.Peek(Kind, challengeId, clock.GetUtcNow()) is { } json ? JsonSerializer.Deserialize<Stored>(json)?.Challenge : null;

    public (PinCheck Result, PinChallenge? Challenge) Check(string challengeId, string pin)
    {
        var now = clock.GetUtcNow();
        if (store.Attempt(Kind, challengeId, now) is not { } attempt) return (PinCheck.ExpiredOrUnknown, null);
        var stored = JsonSerializer.Deserialize<Stored>(attempt.Value)!;
        if (attempt.Attempts > MaxAttempts)
        {
            store.Take(Kind, challengeId, now);
            return (PinCheck.TooManyAttempts, stored.Challenge);
        }
        if (!CryptographicOperations.FixedTimeEquals(Hash(pin.Trim()), Convert.FromHexString(stored.PinSha256))) return (PinCheck.Wrong, stored.Challenge);
        // Take-once: of two concurrent right answers, only one signs in.
        return store.Take(Kind, challengeId, now) is null ? (PinCheck.ExpiredOrUnknown, null) : (PinCheck.Accepted, stored.Challenge);
    }

    private static byte[] Hash(string pin) => SHA256.HashData(Encoding.UTF8.GetBytes(pin));
}
