using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace TunnelActors.Access.Login;

/// <summary>Outcome of checking a one-time PIN.</summary>
public enum PinCheck { Accepted, Wrong, TooManyAttempts, ExpiredOrUnknown }

/// <summary>An issued one-time PIN: for whom, for which application, and the CLI transfer to complete.</summary>
public sealed record PinChallenge(string Id, string Email, string Hostname, string? Transfer, DateTimeOffset ExpiresAt, bool Sent);

/// <summary>
/// One-time PINs: six random digits, stored only as a hash, valid for <see cref="Lifetime"/>,
/// at most <see cref="MaxAttempts"/> guesses, compared in constant time. Bounded: the oldest
/// challenges are dropped beyond <see cref="MaxOutstanding"/>.
/// </summary>
public sealed class PinChallenges(TimeProvider clock)
{
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(10);
    public int MaxAttempts { get; init; } = 5;
    public int MaxOutstanding { get; init; } = 10_000;

    private sealed class Entry(PinChallenge challenge, byte[] pinHash)
    {
        public PinChallenge Challenge { get; } = challenge;
        public byte[] PinHash { get; } = pinHash;
        public int Attempts;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    /// <summary>
    /// Creates a challenge. The PIN is returned only when <paramref name="send"/> is true (the email
    /// may sign in); otherwise a challenge that can never succeed is created, so the page the
    /// user sees is the same either way.
    /// </summary>
    public (PinChallenge Challenge, string? Pin) Create(string email, string hostname, string? transfer, bool send)
    {
        Sweep();
        var pin = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6");
        var challenge = new PinChallenge(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
            email.Trim().ToLowerInvariant(), hostname, transfer, clock.GetUtcNow() + Lifetime, send);
        // An unsendable challenge hashes a random secret nobody knows.
        var hash = Hash(send ? pin : Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        _entries[challenge.Id] = new Entry(challenge, hash);
        return (challenge, send ? pin : null);
    }

    public (PinCheck Result, PinChallenge? Challenge) Check(string challengeId, string pin)
    {
        if (!_entries.TryGetValue(challengeId, out var entry) || entry.Challenge.ExpiresAt <= clock.GetUtcNow())
        {
            _entries.TryRemove(challengeId, out _);
            return (PinCheck.ExpiredOrUnknown, null);
        }
        if (Interlocked.Increment(ref entry.Attempts) > MaxAttempts)
        {
            _entries.TryRemove(challengeId, out _);
            return (PinCheck.TooManyAttempts, entry.Challenge);
        }
        if (!CryptographicOperations.FixedTimeEquals(Hash(pin.Trim()), entry.PinHash)) return (PinCheck.Wrong, entry.Challenge);
        _entries.TryRemove(challengeId, out _);
        return (PinCheck.Accepted, entry.Challenge);
    }

    private void Sweep()
    {
        var now = clock.GetUtcNow();
        foreach (var (id, entry) in _entries)
            if (entry.Challenge.ExpiresAt <= now) _entries.TryRemove(id, out _);
        if (_entries.Count < MaxOutstanding) return;
        foreach (var oldest in _entries.Values.OrderBy(e => e.Challenge.ExpiresAt).Take(_entries.Count - MaxOutstanding + 1))
            _entries.TryRemove(oldest.Challenge.Id, out _);
    }

    private static byte[] Hash(string pin) => SHA256.HashData(Encoding.UTF8.GetBytes(pin));
}
