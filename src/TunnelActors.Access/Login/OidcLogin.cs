using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace TunnelActors.Access.Login;

/// <summary>The operator's OpenID Connect provider.</summary>
public sealed record OidcOptions(Uri Issuer, string ClientId, string ClientSecret, string GroupsClaim = "groups")
{
    public string Scopes { get; init; } = "openid email profile groups";

    /// <summary>
    /// Refuse an id_token whose <c>email_verified</c> is not true (default on): otherwise anyone who
    /// can register an unverified address at the IdP signs in as its owner. Off only for an IdP
    /// that never sends the claim and verifies every address itself.
    /// </summary>
    public bool RequireVerifiedEmail { get; init; } = true;
}

/// <summary>Who the IdP says signed in.</summary>
public sealed record OidcIdentity(string Email, IReadOnlyList<string> Groups);

/// <summary>An OIDC sign-in that failed, with why (shown to the user and audited).</summary>
public sealed class OidcLoginException(string message) : Exception(message);

/// <summary>
/// Authorization-code flow with PKCE (S256), state and nonce. <see cref="Begin"/> returns where
/// to send the browser; <see cref="CompleteAsync"/> exchanges the code and validates the
/// id_token (signature from the IdP's JWKS, issuer, audience, nonce, lifetime).
/// Pending sign-ins live in the shared login state (the IdP may redirect back to any edge),
/// bounded, and expire after 10 minutes.
/// </summary>
public sealed class OidcLogin
{
    private sealed record Pending(string Hostname, string? UserCode, string Verifier, string Nonce);

    private const string Kind = "oidc";
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(10);
    private const int MaxPending = 10_000;

    private readonly OidcOptions _options;
    private readonly Uri _redirectUri;
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;
    private readonly ILoginStateStore _store;

    public OidcLogin(OidcOptions options, Uri redirectUri, HttpClient http, ILoginStateStore store, TimeProvider clock)
    {
        (_options, _redirectUri, _http, _store, _clock) = (options, redirectUri, http, store, clock);
        var discovery = new Uri(options.Issuer.ToString().TrimEnd('/') + "/.well-known/openid-configuration");
        // Plain http is accepted only for a loopback IdP (tests, a provider on the same host).
        var retriever = new HttpDocumentRetriever(http) { RequireHttps = !options.Issuer.IsLoopback };
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(discovery.ToString(), new OpenIdConnectConfigurationRetriever(), retriever);
    }

    /// <summary>
    /// Where to send the browser, and the <c>state</c> it carries: the caller binds that state to
    /// the browser (a cookie), so the callback only completes in the browser that started it.
    /// </summary>
    public async Task<(Uri Redirect, string State)> BeginAsync(string hostname, string? userCode, CancellationToken cancellationToken)
    {
        var configuration = await _metadata.GetConfigurationAsync(cancellationToken);
        var state = Random();
        var pending = new Pending(hostname, userCode, Random(), Random());
        var now = _clock.GetUtcNow();
        if (!_store.Put(Kind, state, JsonSerializer.Serialize(pending), now + PendingLifetime, MaxPending, now))
            throw new OidcLoginException("too many sign-ins are in progress; try again in a few minutes");
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(pending.Verifier)));
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = _options.ClientId,
            ["redirect_uri"] = _redirectUri.ToString(),
            ["scope"] = _options.Scopes,
            ["state"] = state,
            ["nonce"] = pending.Nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        return (new Uri(configuration.AuthorizationEndpoint + "?" + string.Join("&", query.Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value)}"))), state);
    }

    /// <summary>
    /// Finishes the sign-in the IdP redirected back with; returns the identity and what the user was
    /// signing in to. <paramref name="browserState"/> is the state this browser was given at the start
    /// (its cookie): a callback carrying another browser's state is a login CSRF and is refused.
    /// </summary>
    public async Task<(OidcIdentity Identity, string Hostname, string? UserCode)> CompleteAsync(string? code, string? state, string? browserState,
        string? error, CancellationToken cancellationToken)
    {
        if (error is not null) throw new OidcLoginException($"the identity provider refused the sign-in: {Truncate(error)}");
        if (state is null || browserState is null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(state), Encoding.ASCII.GetBytes(browserState)))
            throw new OidcLoginException("this sign-in was not started in this browser; start again from the application");
        if (state is null || _store.Take(Kind, state, _clock.GetUtcNow()) is not { } stored || JsonSerializer.Deserialize<Pending>(stored) is not { } pending)
            throw new OidcLoginException("this sign-in has expired or was already used; start again");
        if (string.IsNullOrEmpty(code)) throw new OidcLoginException("the identity provider sent no authorization code");

        var configuration = await _metadata.GetConfigurationAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = _redirectUri.ToString(),
                ["code_verifier"] = pending.Verifier,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(_options.ClientId)}:{Uri.EscapeDataString(_options.ClientSecret)}")));
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new OidcLoginException($"the token endpoint answered {(int)response.StatusCode}: {Truncate(body)}");
        var idToken = JsonDocument.Parse(body).RootElement.TryGetProperty("id_token", out var t) ? t.GetString() : null;
        if (idToken is null) throw new OidcLoginException("the token endpoint returned no id_token");

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = _options.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        });
        if (!result.IsValid) throw new OidcLoginException($"the id_token is not valid: {result.Exception?.Message}");
        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<string>("nonce", out var nonce) || nonce != pending.Nonce)
            throw new OidcLoginException("the id_token does not answer this sign-in (nonce mismatch)");
        if (!jwt.TryGetPayloadValue<string>("email", out var claimed) || string.IsNullOrEmpty(claimed))
            throw new OidcLoginException("the identity provider sent no email claim (is the `email` scope allowed?)");
        if (EmailAddress.Normalize(claimed, out var why) is not { } email)
            throw new OidcLoginException($"the identity provider's email claim is not a single address: {why}");
        if (_options.RequireVerifiedEmail && !(jwt.TryGetPayloadValue<bool>("email_verified", out var verified) && verified))
            throw new OidcLoginException($"the identity provider has not verified {email} (email_verified is not true)");
        var groups = jwt.TryGetPayloadValue<JsonElement>(_options.GroupsClaim, out var g) && g.ValueKind == JsonValueKind.Array
            ? g.EnumerateArray().Select(x => x.GetString() ?? "").Where(x => x.Length > 0).ToList()
            : [];
        return (new OidcIdentity(email, groups), pending.Hostname, pending.UserCode);
    }

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300];
}
