using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TunnelActors.Access.Certificates;

/// <summary>
/// How `tunnel create/route/list/info/delete` prove they hold the zone's origin certificate:
/// each request carries the certificate, its zone, a timestamp and a signature over time,
/// method, path and body hash (the same primitive connectors sign REGISTER with). Requests
/// older or newer than <see cref="MaxSkew"/> are refused, so a captured one soon stops working.
/// </summary>
public static class OriginRequestSignature
{
    public const string CertificateHeader = "Tunnel-Origin-Cert";
    public const string ZoneHeader = "Tunnel-Zone";
    public const string TimestampHeader = "Tunnel-Timestamp";
    public const string SignatureHeader = "Tunnel-Signature";
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);
    private const string Purpose = "tunnel-api";

    public static IReadOnlyDictionary<string, string> Sign(X509Certificate2 originCertificate, string method, string pathAndQuery, byte[] body, DateTimeOffset now)
    {
        var zone = OriginCredential.ZoneOf(originCertificate);
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = OriginCredential.Sign(originCertificate, Challenge(timestamp, method, pathAndQuery, body), zone, Purpose);
        return new Dictionary<string, string>
        {
            [CertificateHeader] = Convert.ToBase64String(originCertificate.RawData),
            [ZoneHeader] = zone,
            [TimestampHeader] = timestamp,
            [SignatureHeader] = Convert.ToBase64String(signature),
        };
    }

    /// <summary>The zone the request acts for; throws <see cref="OriginCredentialException"/> naming why not.</summary>
    public static string Verify(X509Certificate2 authority, Func<string, string?> header, string method, string pathAndQuery, byte[] body, DateTimeOffset now)
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
        return OriginCredential.Verify(authority, certificate, signature, Challenge(timestamp, method, pathAndQuery, body), Required(ZoneHeader), Purpose);
    }

    private static string Challenge(string timestamp, string method, string pathAndQuery, byte[] body) =>
        $"{timestamp}\n{method.ToUpperInvariant()}\n{pathAndQuery}\n{Convert.ToHexString(SHA256.HashData(body))}";
}
