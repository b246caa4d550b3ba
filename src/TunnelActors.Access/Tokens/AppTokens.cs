using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TunnelActors.Access.Policies;

namespace TunnelActors.Access.Tokens;

/// <summary>The identity an app token carries; <paramref name="SessionId"/> is its sign-in session (claim <c>sid</c>).</summary>
public sealed record TokenIdentity(string Email, IReadOnlySet<string> Groups, string LoginMethod, DateTimeOffset ExpiresAt, string? SessionId = null);

/// <summary>A token that did not verify, with why.</summary>
public sealed class TokenRejectedException(string reason) : Exception(reason);

/// <summary>
/// Edge-signed JWT application tokens: ES256 with a <c>kid</c>, <c>aud</c> = the application's
/// domain, <c>email</c>, <c>groups</c>, <c>login_method</c>, <c>sid</c> (the sign-in session),
/// <c>iat</c>, <c>exp</c> from the application's session duration. Verification accepts only
/// ES256 from the key ring.
/// </summary>
public sealed class AppTokens(SigningKeyRing keys, string issuer, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public string Issue(AccessApplication application, string email, IReadOnlyCollection<string> groups, string loginMethod, string? sessionId = null)
    {
        var now = clock.GetUtcNow();
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = application.Domain,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(application.SessionDuration).UtcDateTime,
            Subject = new ClaimsIdentity([new Claim("sub", email)]),
            Claims = new Dictionary<string, object>
            {
                ["email"] = email,
                ["groups"] = groups.ToArray(),
                ["login_method"] = loginMethod,
                ["type"] = "app",
            },
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.EcdsaSha256),
        };
        if (sessionId is not null) descriptor.Claims["sid"] = sessionId;
        return Handler.CreateToken(descriptor);
    }

    /// <summary>Verifies signature, algorithm, issuer, audience and lifetime; throws <see cref="TokenRejectedException"/> naming the failure.</summary>
    public async Task<TokenIdentity> VerifyAsync(string token, AccessApplication application)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = application.Domain,
            IssuerSigningKeys = keys.Published,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, p) =>
                expires is { } e && e.ToUniversalTime() > clock.GetUtcNow().UtcDateTime - p.ClockSkew
                && (notBefore is not { } n || n.ToUniversalTime() <= clock.GetUtcNow().UtcDateTime + p.ClockSkew),
        };
        var result = await Handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid) throw new TokenRejectedException(Explain(result.Exception, application));

        var jwt = (JsonWebToken)result.SecurityToken;
        var email = jwt.TryGetPayloadValue<string>("email", out var e) && !string.IsNullOrEmpty(e)
            ? e : throw new TokenRejectedException("token has no email claim");
        var groups = jwt.TryGetPayloadValue<JsonElement>("groups", out var g) && g.ValueKind == JsonValueKind.Array
            ? g.EnumerateArray().Select(x => x.GetString() ?? "").ToHashSet()
            : new HashSet<string>();
        var method = jwt.TryGetPayloadValue<string>("login_method", out var m) ? m : "unknown";
        var session = jwt.TryGetPayloadValue<string>("sid", out var sid) && !string.IsNullOrEmpty(sid) ? sid : null;
        return new TokenIdentity(email, groups, method, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), session);
    }

    private static string Explain(Exception? error, AccessApplication application) => error switch
    {
        SecurityTokenInvalidAudienceException => $"token is for another application (expected audience {application.Domain})",
        SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "token expired",
        SecurityTokenSignatureKeyNotFoundException => "token is signed with a key this edge does not publish",
        SecurityTokenInvalidSignatureException => "token signature is invalid",
        SecurityTokenInvalidAlgorithmException => "token algorithm is not ES256",
        SecurityTokenInvalidIssuerException => "token was issued by another edge",
        SecurityTokenMalformedException => "token is malformed",
        null => "token rejected",
        _ => $"token rejected: {error.GetType().Name.Replace("SecurityToken", "").Replace("Exception", "")}",
    };
}
