using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TunnelActors.Access.Certificates;

/// <summary>
/// How `tunnel create/route/list/info/delete` prove they hold the zone's origin certificate:
/// each request carries the certificate, its zone, a timestamp and a signature over time,
/// method, path, a random nonce and body hash (the same primitive connectors sign REGISTER
/// with). Requests older or newer than <see cref="MaxSkew"/> are refused, and the edge
/// remembers each nonce for that window (<see cref="ReplayWindow"/>), so a captured request
/// cannot be sent again at all.
/// </summary>
public static class OriginRequestSignature
{
    public const string CertificateHeader = "Tunnel-Origin-Cert";
    public const string ZoneHeader = "Tunnel-Zone";
    public const string TimestampHeader = "Tunnel-Timestamp";
    public const string SignatureHeader = "Tunnel-Signature";
    public const string NonceHeader = "Tunnel-Nonce";
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>How long a nonce must be remembered: a request is acceptable from now − skew to now + skew.</summary>
    public static readonly TimeSpan ReplayWindow = MaxSkew * 2;
    private const string Purpose = "tunnel-api";

    public static IReadOnlyDictionary<string, string> Sign(X509Certificate2 originCertificate, string method, string pathAndQuery, byte[] body, DateTimeOffset now)
    {
        var zone = OriginCredential.ZoneOf(originCertificate);
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var signature = OriginCredential.Sign(originCertificate, Challenge(timestamp, nonce, method, pathAndQuery, body), zone, Purpose);
        return new Dictionary<string, string>
        {
            [CertificateHeader] = Convert.ToBase64String(originCertificate.RawData),
            [ZoneHeader] = zone,
            [TimestampHeader] = timestamp,
            [NonceHeader] = nonce,
            [SignatureHeader] = Convert.ToBase64String(signature),
        };
    }

    /// <summary>
    /// The zone the request acts for (and the certificate's serial); throws <see cref="OriginCredentialException"/>
    /// naming why not. <paramref name="firstUse"/> records the nonce and answers false for one seen before.
    /// </summary>
    public static VerifiedOrigin Verify(X509Certificate2 authority, Func<string, string?> header, string method, string pathAndQuery, byte[] body,
        DateTimeOffset now, Func<string, bool> firstUse)
    {
        string Required(string name) => header(name) is { Length: > 0 } value
            ? value
            : throw new OriginCredentialException($"no {name} header: sign the request with your origin certificate (tunnelactors tunnel login)");
        var timestamp = Required(TimestampHeader);
        if (!long.TryParse(timestamp, out var seconds) || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > MaxSkew)
            throw new OriginCredentialException($"request timestamp {timestamp} is more than {MaxSkew.TotalMinutes:0} minutes from the edge's clock");
        byte[] certificate, signature;
        try { (certificate, signature) = (Convert.FromBase64String(Required(CertificateHeader)), Convert.FromBase64String(Required(SignatureHeader))); }
        catch (FormatException) { throw new OriginCredentialException("origin certificate or signature header is not base64"); }
        var nonce = Required(NonceHeader);
        if (nonce.Length is < 16 or > 64 || !nonce.All(char.IsAsciiHexDigit)) throw new OriginCredentialException($"{NonceHeader} must be 16-64 hex digits");
        var verified = OriginCredential.Verify(authority, certificate, signature, Challenge(timestamp, nonce, method, pathAndQuery, body), Required(ZoneHeader), Purpose);
        // Only after the signature holds: a stranger cannot burn someone else's nonces.
        if (!firstUse($"{verified.Serial}/{nonce.ToUpperInvariant()}"))
            throw new OriginCredentialException("this signed request was already used (replay refused); sign a new one");
        return verified;
    }

    private static string Challenge(string timestamp, string nonce, string method, string pathAndQuery, byte[] body) =>
        $"{timestamp}\n{nonce}\n{method.ToUpperInvariant()}\n{pathAndQuery}\n{Convert.ToHexString(SHA256.HashData(body))}";
}
