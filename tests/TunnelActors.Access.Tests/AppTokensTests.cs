using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TunnelActors.Access.Policies;
using TunnelActors.Access.Tokens;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Access.Tests;

public sealed class AppTokensTests
{
    private const string Issuer = "https://edge.test";
    private static readonly AccessApplication Smb = new("smb", "smb.site.test", TimeSpan.FromHours(1), []);
    private static readonly AccessApplication Wiki = new("wiki", "wiki.site.test", TimeSpan.FromHours(1), []);

    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-11-24T08:00:00Z"));
    private readonly MemoryKeyStore _store = new();
    private readonly SigningKeyRing _ring;
    private readonly AppTokens _tokens;

    public AppTokensTests()
    {
        _ring = new SigningKeyRing(_store, _clock);
        _tokens = new AppTokens(_ring, Issuer, _clock);
    }

    [Fact]
    public async Task Verify_FreshToken_ReturnsIdentity()
    {
        var token = _tokens.Issue(Smb, "alice@example.com", ["eng", "ops"], "otp");

        var identity = await _tokens.VerifyAsync(token, Smb);

        Assert.Equal("alice@example.com", identity.Email);
        Assert.Equal(["eng", "ops"], identity.Groups.Order());
        Assert.Equal("otp", identity.LoginMethod);
        Assert.Equal(_clock.GetUtcNow().AddHours(1), identity.ExpiresAt);
    }

    [Fact]
    public async Task Verify_TokenForAnotherApplication_Rejected()
    {
        var token = _tokens.Issue(Wiki, "alice@example.com", [], "otp");

        var error = await Assert.ThrowsAsync<TokenRejectedException>(() => _tokens.VerifyAsync(token, Smb));

        Assert.Contains("another application", error.Message);
    }

    [Fact]
    public async Task Verify_ExpiredToken_Rejected()
    {
        var token = _tokens.Issue(Smb, "alice@example.com", [], "otp");
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));

        var error = await Assert.ThrowsAsync<TokenRejectedException>(() => _tokens.VerifyAsync(token, Smb));

        Assert.Contains("expired", error.Message);
    }

    [Fact]
    public async Task Verify_AlgNone_Rejected()
    {
        var header = B64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var payload = B64($"{{\"iss\":\"{Issuer}\",\"aud\":\"smb.site.test\",\"email\":\"mallory@example.com\",\"exp\":{_clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds()}}}");

        await Assert.ThrowsAsync<TokenRejectedException>(() => _tokens.VerifyAsync($"{header}.{payload}.", Smb));
    }

    [Fact]
    public async Task Verify_KeyNotInJwks_Rejected()
    {
        using var foreign = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Smb.Domain,
            // Times from the test's clock, not the wall clock: only the key may be wrong here.
            IssuedAt = _clock.GetUtcNow().UtcDateTime,
            NotBefore = _clock.GetUtcNow().UtcDateTime,
            Expires = _clock.GetUtcNow().AddHours(1).UtcDateTime,
            Claims = new Dictionary<string, object> { ["email"] = "mallory@example.com" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(foreign) { KeyId = "not-ours" }, SecurityAlgorithms.EcdsaSha256),
        });

        var error = await Assert.ThrowsAsync<TokenRejectedException>(() => _tokens.VerifyAsync(token, Smb));

        Assert.Contains("key", error.Message);
    }

    [Fact]
    public async Task Verify_TamperedPayload_Rejected()
    {
        var parts = _tokens.Issue(Smb, "alice@example.com", [], "otp").Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("alice@", "admin@");

        var forged = $"{parts[0]}.{B64(payload)}.{parts[2]}";

        var error = await Assert.ThrowsAsync<TokenRejectedException>(() => _tokens.VerifyAsync(forged, Smb));
        Assert.Contains("signature", error.Message);
    }

    [Fact]
    public async Task Verify_Garbage_RejectedAsMalformed()
    {
        await Assert.ThrowsAsync<TokenRejectedException>(() => _tokens.VerifyAsync("not-a-jwt", Smb));
    }

    [Fact]
    public async Task Rotation_OldTokensVerifyDuringOverlapThenStop()
    {
        var ring = new SigningKeyRing(_store, _clock) { RotateAfter = TimeSpan.FromDays(1), KeepFor = TimeSpan.FromDays(2) };
        var tokens = new AppTokens(ring, Issuer, _clock);
        var longApp = Smb with { SessionDuration = TimeSpan.FromDays(10) };
        var before = tokens.Issue(longApp, "alice@example.com", [], "otp");
        var oldKid = ring.Current.KeyId;

        _clock.Advance(TimeSpan.FromDays(1.5)); // rotated: a new key signs, the old one is still published
        var after = tokens.Issue(longApp, "bob@example.com", [], "otp");
        Assert.NotEqual(oldKid, ring.Current.KeyId);
        Assert.Equal("alice@example.com", (await tokens.VerifyAsync(before, longApp)).Email);
        Assert.Equal("bob@example.com", (await tokens.VerifyAsync(after, longApp)).Email);

        _clock.Advance(TimeSpan.FromDays(2.5)); // the old key retired
        await Assert.ThrowsAsync<TokenRejectedException>(() => tokens.VerifyAsync(before, longApp));
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
}

public sealed class MemoryKeyStore : ISigningKeyStore
{
    private readonly List<StoredSigningKey> _keys = new();
    public IReadOnlyList<StoredSigningKey> LoadSigningKeys() => _keys.ToList();
    public void SaveSigningKey(StoredSigningKey key) => _keys.Add(key);
    public void DeleteSigningKey(string keyId) => _keys.RemoveAll(k => k.KeyId == keyId);
}
