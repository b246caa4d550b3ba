using Microsoft.IdentityModel.Tokens;
using TunnelActors.Access.Tokens;

namespace TunnelActors.Edge.Access;

/// <summary>The JSON Web Key Set at /cdn-cgi/access/certs: every key a valid token may be signed with.</summary>
public static class Jwks
{
    public static object From(SigningKeyRing keys) => new
    {
        keys = keys.Published.Select(key =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
            return new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, alg = SecurityAlgorithms.EcdsaSha256, use = "sig" };
        }),
    };
}
