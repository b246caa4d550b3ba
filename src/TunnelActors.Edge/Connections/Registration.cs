using System.Security.Cryptography;
using TunnelActors.Access.Certificates;
using TunnelActors.Edge.Hosting;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Connections;

/// <summary>What a checked REGISTER admits: the tunnel (routing key) the connection serves, and the origin certificate's serial (quick tunnels).</summary>
public sealed record Admission(string TunnelId, string Zone, string Describe, string? CertificateSerial = null);

/// <summary>
/// Checks a REGISTER. Two kinds exist:
/// a quick tunnel (`tunnel --hostname H`) signs the edge's challenge with the zone's origin
/// certificate and serves H, which it claims on first registration — a hostname already routed
/// to another tunnel is refused (no takeover); a named tunnel (`tunnel run`) sends no
/// certificate, its id as connector id and its secret from the credentials file, compared by
/// hash in constant time, and serves every hostname routed to it.
/// </summary>
public static class Registration
{
    public static Admission Verify(RegisterPayload register, string challenge, EdgeIdentity identity)
    {
        if (register.Certificate.Length == 0)
        {
            var tunnel = identity.Tunnels.FindById(register.ConnectorId)
                ?? throw new OriginCredentialException($"no tunnel {register.ConnectorId} (deleted? run `tunnelactors tunnel create` again)");
            var expected = identity.Tunnels.SecretHash(tunnel.Id)!;
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(register.Signature), expected))
                throw new OriginCredentialException($"wrong secret for tunnel {tunnel.Name}: the credentials file does not match");
            return new Admission(tunnel.Id, tunnel.Zone, $"tunnel {tunnel.Name} ({tunnel.Id})");
        }

        var hostname = register.Hostname.ToLowerInvariant();
        var (zone, serial) = OriginCredential.Verify(identity.OriginAuthority.Certificate, register.Certificate, register.Signature, challenge, hostname, register.ConnectorId);
        if (identity.OriginCertificates.IsRevoked(serial))
            throw new OriginCredentialException($"origin certificate {serial} for zone {zone} is revoked; run `tunnelactors tunnel login` for a new one");
        var route = identity.Store.EnsureRoute(hostname, zone, hostname);
        if (route.TunnelId != hostname)
            throw new OriginCredentialException($"hostname {hostname} is routed to {identity.Tunnels.OwnerOf(route)}; a quick tunnel cannot take it over");
        return new Admission(hostname, zone, $"{hostname} (connector {register.ConnectorId})", serial);
    }
}
