using System.Collections.Concurrent;

namespace TunnelActors.Access.Login;

/// <summary>
/// Short-lived sign-in state — PIN challenges, pending SSO sign-ins, tokens parked for a CLI —
/// kept where every edge of a cluster sees it, so a sign-in may start on one edge and finish on
/// another. Entries are (kind, id) → text with an expiry; reads are atomic take-once.
/// </summary>
public interface ILoginStateStore
{
    /// <summary>Stores <paramref name="value"/> until <paramref name="expiresAt"/>; false when
    /// <paramref name="kind"/> already holds <paramref name="limit"/> live entries (the store is bounded).</summary>
    bool Put(string kind, string id, string value, DateTimeOffset expiresAt, int limit, DateTimeOffset now);

    /// <summary>
    /// Records <paramref name="id"/> (with <paramref name="value"/>) only if it is not live yet: true
    /// the first time, false for a repeat (a replay, a colliding code) or when <paramref name="kind"/> is full.
    /// </summary>
    bool Claim(string kind, string id, DateTimeOffset expiresAt, int limit, DateTimeOffset now, string value = "");

    /// <summary>The value of a live entry, without taking it or counting an attempt; null when unknown or expired.</summary>
    string? Peek(string kind, string id, DateTimeOffset now);

    /// <summary>Removes the entry and returns its value, or null when it is unknown or expired.</summary>
    string? Take(string kind, string id, DateTimeOffset now);

    /// <summary>Counts one more attempt on a live entry: its value and the attempts so far, or null.</summary>
    (string Value, int Attempts)? Attempt(string kind, string id, DateTimeOffset now);
}

/// <summary>The store for a single process (unit tests, tools): nothing is shared.</summary>
public sealed class InMemoryLoginStateStore : ILoginStateStore
{
    private sealed class Entry(string value, DateTimeOffset expiresAt)
    {
        public string Value { get; } = value;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public int Attempts;
    }

    private readonly ConcurrentDictionary<(string Kind, string Id), Entry> _entries = new();

    public bool Put(string kind, string id, string value, DateTimeOffset expiresAt, int limit, DateTimeOffset now)
    {
        if (!HasRoom(kind, limit, now)) return false;
        _entries[(kind, id)] = new Entry(value, expiresAt);
        return true;
    }

    public bool Claim(string kind, string id, DateTimeOffset expiresAt, int limit, DateTimeOffset now, string value = "") =>
        HasRoom(kind, limit, now) && _entries.TryAdd((kind, id), new Entry(value, expiresAt));

    // Sweeps expired entries, then says whether kind holds fewer than limit live ones.
    private bool HasRoom(string kind, int limit, DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
            if (entry.ExpiresAt <= now) _entries.TryRemove(key, out _);
        return _entries.Keys.Count(k => k.Kind == kind) < limit;
    }

    public string? Peek(string kind, string id, DateTimeOffset now) =>
        _entries.TryGetValue((kind, id), out var entry) && entry.ExpiresAt > now ? entry.Value : null;

    public string? Take(string kind, string id, DateTimeOffset now) =>
        _entries.TryRemove((kind, id), out var entry) && entry.ExpiresAt > now ? entry.Value : null;

    public (string Value, int Attempts)? Attempt(string kind, string id, DateTimeOffset now) =>
        _entries.TryGetValue((kind, id), out var entry) && entry.ExpiresAt > now
            ? (entry.Value, Interlocked.Increment(ref entry.Attempts))
            : null;
}
