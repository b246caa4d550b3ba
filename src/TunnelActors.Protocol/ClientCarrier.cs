using System.Text.Json;

namespace TunnelActors.Protocol;

/// <summary>
/// The multiplexed carrier of `access tcp`: one WebSocket upgrade on <see cref="Path"/> (authenticated like
/// a stream's, for the first hostname), answered with <see cref="OfferHeader"/>: <see cref="Version"/> by an
/// edge that speaks it — an older edge would take the path for an ordinary stream, so a client that does
/// not see the header sends nothing and falls back to one WebSocket per connection.
/// A stream opened on the carrier proves itself in its OPEN: the request headers its
/// per-connection WebSocket would have sent (Cf-Access-Token, or Cf-Access-Client-Id and -Secret,
/// and the user's --header), carried in the OPEN's identity field. The edge decides each stream on
/// its own credential, exactly as for a WebSocket. Only a client opens streams on a carrier, so this
/// never reaches a connector.
/// </summary>
public static class ClientCarrier
{
    public const string Path = "/cdn-cgi/access/carrier";
    public const string OfferHeader = "Tunnel-Carrier";
    public const string Version = "mux/1";

    /// <summary>Streams one carrier carries at a time: the edge refuses more, and the client sends the next connection on a WebSocket of its own.</summary>
    public const int MaxStreams = 1024;

    /// <summary>The edge's id for the carrier (<c>c7@host:port</c>), in the upgrade response: with <see cref="StreamId"/>, one id per stream on both ends.</summary>
    public const string CarrierIdHeader = "Tunnel-Carrier-Id";

    /// <summary>The id edge and client both log a carrier stream under: <c>c7.5@host:port</c> for stream 5 of carrier <c>c7@host:port</c>.</summary>
    public static string StreamId(string carrierId, uint muxStreamId) =>
        carrierId.IndexOf('@') is var at and > 0 ? $"{carrierId[..at]}.{muxStreamId}{carrierId[at..]}" : $"{carrierId}.{muxStreamId}";

    /// <summary>Whether <paramref name="hostname"/> is a DNS name an OPEN may ask for (letters, digits, '-', '.', at most 253 characters).</summary>
    public static bool IsHostname(string hostname) =>
        hostname.Length is > 0 and <= 253 && hostname.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    /// <summary>How an identity field holding a credential starts: never logged.</summary>
    public const string Prefix = "headers:";

    /// <summary>Largest encoded credential (an OPEN's control payload is at most 16 KiB).</summary>
    public const int MaxEncoded = 12 * 1024;

    /// <summary>The identity field for <paramref name="headers"/>; throws <see cref="ArgumentException"/> when they are too large to carry.</summary>
    public static string EncodeCredential(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers) map[name] = value;
        var encoded = Prefix + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(map));
        return encoded.Length <= MaxEncoded
            ? encoded
            : throw new ArgumentException($"the stream's headers are {encoded.Length} bytes encoded, more than a carrier OPEN carries ({MaxEncoded})");
    }

    /// <summary>The headers an OPEN carries (names case-insensitive); throws <see cref="ProtocolException"/> (Refused) naming what is wrong.</summary>
    public static IReadOnlyDictionary<string, string> DecodeCredential(string identity)
    {
        if (!identity.StartsWith(Prefix, StringComparison.Ordinal) || identity.Length > MaxEncoded)
            throw new ProtocolException(ProtocolError.Refused, $"a stream on a client carrier must carry its credential (`{Prefix}…`, at most {MaxEncoded} bytes)");
        try
        {
            var map = JsonSerializer.Deserialize<Dictionary<string, string>>(Convert.FromBase64String(identity[Prefix.Length..]));
            return map is null
                ? throw new ProtocolException(ProtocolError.Refused, "the stream's credential is empty")
                : new Dictionary<string, string>(map, StringComparer.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            throw new ProtocolException(ProtocolError.Refused, $"the stream's credential does not parse: {e.Message}");
        }
    }
}
