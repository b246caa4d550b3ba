using System.Net;
using System.Text;
using System.Text.Json;
using TunnelActors.Access.Policies;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// What a client proved to the edge it connected to, carried in the OPEN of a peer-relayed
/// stream so that the edge holding the connector's connection decides again with its own
/// policies (a policy that changed, or differs there, is not bypassed by entering elsewhere).
/// It travels only on the authenticated edge-to-edge link and never reaches a connector, which
/// sees the plain identity.
/// </summary>
public static class PeerClaim
{
    private const string Prefix = "claim:";
    private const int MaxEncoded = 8 * 1024;

    private sealed record Claim(string Identity, string SourceIp, string? Email, string[]? Groups, string? LoginMethod, string? ServiceTokenId, string? SessionId = null);

    /// <summary>The OPEN to send to the peer edge: <paramref name="open"/> with the claim in place of the identity.</summary>
    public static OpenPayload Attach(OpenPayload open, AccessRequest request) =>
        TryAttach(open, request, out var withClaim, out var refusal) ? withClaim : throw new InvalidOperationException(refusal);

    /// <summary>As <see cref="Attach"/>; false with the reason when the claim is larger than a peer OPEN carries.</summary>
    public static bool TryAttach(OpenPayload open, AccessRequest request, out OpenPayload withClaim, out string refusal)
    {
        var claim = new Claim(open.Identity, request.SourceIp.ToString(), request.Email, request.Groups?.ToArray(), request.LoginMethod, request.ServiceTokenId, request.SessionId);
        var encoded = Prefix + Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(claim));
        (withClaim, refusal) = (open with { Identity = encoded }, "");
        if (encoded.Length <= MaxEncoded) return true;
        refusal = $"the access claim for {open.Identity} is {encoded.Length} bytes, more than a stream relayed to another edge carries ({MaxEncoded}); connect to the edge holding the tunnel";
        return false;
    }

    /// <summary>The access request and plain identity an OPEN from a peer edge carries; throws <see cref="ProtocolException"/> naming what is wrong.</summary>
    public static (AccessRequest Request, string Identity) Read(OpenPayload open)
    {
        if (!open.Identity.StartsWith(Prefix, StringComparison.Ordinal) || open.Identity.Length > MaxEncoded)
            throw new ProtocolException(ProtocolError.Refused, "the peer edge sent no access claim with the stream (an edge of an older version?)");
        Claim? claim;
        try { claim = JsonSerializer.Deserialize<Claim>(Convert.FromBase64String(open.Identity[Prefix.Length..])); }
        catch (Exception e) when (e is FormatException or JsonException) { throw new ProtocolException(ProtocolError.Refused, $"the peer edge's access claim does not parse: {e.Message}"); }
        if (claim is null || !IPAddress.TryParse(claim.SourceIp, out var ip) || string.IsNullOrEmpty(claim.Identity))
            throw new ProtocolException(ProtocolError.Refused, "the peer edge's access claim is incomplete");
        return (new AccessRequest(ip, claim.Email, claim.Groups?.ToHashSet(), claim.LoginMethod, claim.ServiceTokenId, claim.SessionId), claim.Identity);
    }
}
