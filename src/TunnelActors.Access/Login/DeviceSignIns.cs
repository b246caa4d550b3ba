using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TunnelActors.Access.Login;

/// <summary>
/// A sign-in a CLI is waiting for: what it wants, for which application, the code it shows, and
/// where and when it was asked for (the confirmation page shows both).
/// </summary>
public sealed record DeviceSignIn(string UserCode, string Hostname, string Kind, string DeviceCodeHash, string RequestedFrom, DateTimeOffset RequestedAt);

/// <summary>
/// Hands what a browser sign-in produced (an app token, or an origin certificate for
/// `tunnel login`) to the terminal that asked for it, as a confirmed device flow in the spirit of
/// RFC 8628. The edge — never whoever makes the link — picks both codes: a secret device code
/// that only the CLI holds and polls with, and a short user code that the CLI prints beside the
/// sign-in URL. After signing in, the page shows the same user code and the application and
/// parks nothing until the user confirms with a POST; a link made by someone else therefore
/// delivers nothing to its maker unless the victim confirms a code their own terminal never
/// showed. Everything lives in the shared login state (any edge may serve any step), is taken
/// once, expires, and is bounded per kind. Only a hash of the device code is stored.
/// </summary>
public sealed class DeviceSignIns(ILoginStateStore store, TimeProvider clock)
{
    private const string PendingKind = "device";
    private const string ParkedKind = "transfer";

    // RFC 8628 §6.1: consonants only (no vowels: no words), no look-alikes; 20^8 ≈ 2.6e10 codes.
    private const string Alphabet = "BCDFGHJKLMNPQRSTVWXZ";

    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(10);
    public int MaxPending { get; init; } = 10_000;

    /// <summary>Page views and confirmations one user code serves before it is worn out (bounds guessing a live code).</summary>
    public const int MaxLookups = 20;

    public const string Token = "token";
    public const string Certificate = "certificate";

    private sealed record Parked(string Kind, string Value);

    /// <summary>Starts a device sign-in; null when too many are pending.</summary>
    public (string DeviceCode, string UserCode)? Begin(string hostname, string kind, string requestedFrom = "unknown")
    {
        if (kind is not (Token or Certificate)) throw new ArgumentException($"unknown sign-in kind {kind}", nameof(kind));
        var now = clock.GetUtcNow();
        var deviceCode = Base64Url(RandomNumberGenerator.GetBytes(32));
        // Never overwrite a live code: a colliding one would hand its confirmation to the newcomer.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var userCode = NewUserCode();
            var pending = new DeviceSignIn(userCode, hostname.ToLowerInvariant(), kind, Hash(deviceCode), requestedFrom, now);
            if (store.Claim(PendingKind, userCode, now + Lifetime, MaxPending, now, JsonSerializer.Serialize(pending))) return (deviceCode, userCode);
        }
        return null; // the store is full (five collisions in a row do not happen otherwise)
    }

    /// <summary>The pending sign-in behind a user code (as the user typed or followed it), without consuming it.</summary>
    public DeviceSignIn? Find(string? userCode) =>
        NormalizeUserCode(userCode) is { } code && store.Attempt(PendingKind, code, clock.GetUtcNow()) is { Attempts: <= MaxLookups } entry
            ? JsonSerializer.Deserialize<DeviceSignIn>(entry.Value)
            : null;

    /// <summary>The pending sign-in behind a user code, only when it is for <paramref name="hostname"/>.</summary>
    public DeviceSignIn? FindFor(string? userCode, string hostname) =>
        Find(userCode) is { } device && string.Equals(device.Hostname, hostname, StringComparison.OrdinalIgnoreCase) ? device : null;

    /// <summary>
    /// The user confirmed: takes the pending sign-in (once) and parks <paramref name="value"/> for
    /// its terminal. False when the code is unknown, expired, already used or for something else.
    /// </summary>
    public bool Confirm(string userCode, string hostname, string kind, string value)
    {
        if (NormalizeUserCode(userCode) is not { } code) return false;
        var now = clock.GetUtcNow();
        if (store.Take(PendingKind, code, now) is not { } json || JsonSerializer.Deserialize<DeviceSignIn>(json) is not { } pending) return false;
        if (pending.Kind != kind || !string.Equals(pending.Hostname, hostname, StringComparison.OrdinalIgnoreCase)) return false;
        return store.Put(ParkedKind, pending.DeviceCodeHash, JsonSerializer.Serialize(new Parked(kind, value)), now + Lifetime, MaxPending, now);
    }

    /// <summary>What was parked for <paramref name="deviceCode"/>, once; null while unconfirmed (or expired).</summary>
    public (string Kind, string Value)? Collect(string deviceCode) =>
        IsWellFormedDeviceCode(deviceCode)
        && store.Take(ParkedKind, Hash(deviceCode), clock.GetUtcNow()) is { } json && JsonSerializer.Deserialize<Parked>(json) is { } parked
            ? (parked.Kind, parked.Value)
            : null;

    /// <summary>Device codes carry 256 bits; anything else is not one of ours.</summary>
    public static bool IsWellFormedDeviceCode(string? code) =>
        code is { Length: 43 } && code.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>"bcdf-ghjk", "BCDFGHJK" → "BCDF-GHJK"; null when it cannot be a user code.</summary>
    public static string? NormalizeUserCode(string? input)
    {
        if (input is null || input.Length > 16) return null;
        var letters = new string(input.Where(c => c != '-' && c != ' ').Select(char.ToUpperInvariant).ToArray());
        return letters.Length == 8 && letters.All(c => Alphabet.Contains(c)) ? $"{letters[..4]}-{letters[4..]}" : null;
    }

    private static string NewUserCode()
    {
        Span<char> code = stackalloc char[8];
        for (var i = 0; i < code.Length; i++) code[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return $"{code[..4]}-{code[4..]}";
    }

    private static string Hash(string deviceCode) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(deviceCode)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
