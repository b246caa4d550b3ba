using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace TunnelActors.Access.Tokens;

/// <summary>A stored signing key: its id, its PKCS#8 private key (PEM) and when it was made.</summary>
public sealed record StoredSigningKey(string KeyId, string PrivateKeyPem, DateTimeOffset CreatedAt);

/// <summary>Where the edge keeps its signing keys (the database).</summary>
public interface ISigningKeyStore
{
    IReadOnlyList<StoredSigningKey> LoadSigningKeys();
    void SaveSigningKey(StoredSigningKey key);
    void DeleteSigningKey(string keyId);
}

/// <summary>
/// The edge's ES256 signing keys. New tokens are signed with the newest key; a new key is
/// made every <see cref="RotateAfter"/>, and old keys stay published (JWKS) for
/// <see cref="KeepFor"/> so tokens signed just before a rotation still verify.
/// Thread-safe: readers see an immutable snapshot.
/// </summary>
public sealed class SigningKeyRing(ISigningKeyStore store, TimeProvider clock)
{
    private readonly object _gate = new();
    private IReadOnlyList<(StoredSigningKey Stored, ECDsaSecurityKey Key)> _keys = [];

    /// <summary>Age at which the current key is replaced (default 7 days).</summary>
    public TimeSpan RotateAfter { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long a replaced key keeps verifying: must exceed the longest session (default 30 days).</summary>
    public TimeSpan KeepFor { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The key that signs new tokens, rotating first if it is due.</summary>
    public ECDsaSecurityKey Current
    {
        get
        {
            EnsureFresh();
            return _keys[^1].Key;
        }
    }

    /// <summary>Every key a valid token may be signed with (newest last).</summary>
    public IReadOnlyList<ECDsaSecurityKey> Published
    {
        get
        {
            EnsureFresh();
            return _keys.Select(k => k.Key).ToList();
        }
    }

    /// <summary>Makes a new current key now (an operator's forced rotation, or tests).</summary>
    public void Rotate()
    {
        lock (_gate)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            store.SaveSigningKey(new StoredSigningKey(Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(),
                ecdsa.ExportPkcs8PrivateKeyPem(), clock.GetUtcNow()));
            Reload();
        }
    }

    private void EnsureFresh()
    {
        var now = clock.GetUtcNow();
        var keys = _keys;
        if (keys.Count > 0 && now - keys[^1].Stored.CreatedAt < RotateAfter) return;
        lock (_gate)
        {
            Reload();
            if (_keys.Count == 0 || now - _keys[^1].Stored.CreatedAt >= RotateAfter) Rotate();
        }
    }

    private void Reload()
    {
        var now = clock.GetUtcNow();
        var stored = store.LoadSigningKeys().OrderBy(k => k.CreatedAt).ToList();
        // A key retires KeepFor after its successor took over.
        for (var i = 0; i < stored.Count - 1; i++)
            if (now - stored[i + 1].CreatedAt > KeepFor) store.DeleteSigningKey(stored[i].KeyId);
        _keys = store.LoadSigningKeys().OrderBy(k => k.CreatedAt).Select(s =>
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(s.PrivateKeyPem);
            return (s, new ECDsaSecurityKey(ecdsa) { KeyId = s.KeyId });
        }).ToList();
    }
}
