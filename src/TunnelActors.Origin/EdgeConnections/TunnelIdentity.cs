using System.Security.Cryptography.X509Certificates;
using TunnelActors.Access.Certificates;
using TunnelActors.Origin.Ingress;
using TunnelActors.Protocol;

namespace TunnelActors.Origin.EdgeConnections;

/// <summary>Who a connector is to the edge, and how its REGISTER proves it.</summary>
public abstract record TunnelIdentity(string Describe)
{
    public abstract RegisterPayload Register(string challenge, string replicaId);
}

/// <summary>A quick tunnel (`tunnel --hostname H`): signs the edge's challenge with the zone's origin certificate.</summary>
public sealed record QuickTunnelIdentity(X509Certificate2 Certificate, string Hostname, string ConnectorId) : TunnelIdentity(Hostname)
{
    public override RegisterPayload Register(string challenge, string replicaId) =>
        new(Hostname, ConnectorId, replicaId, Certificate.RawData, OriginCredential.Sign(Certificate, challenge, Hostname, ConnectorId));
}

/// <summary>
/// A named tunnel (`tunnel run`): no certificate; its id and the secret from its credentials
/// file, sent inside TLS like a service token's secret (the edge keeps only its hash).
/// </summary>
public sealed record NamedTunnelIdentity(TunnelCredentials Credentials) : TunnelIdentity($"tunnel {Credentials.TunnelName} ({Credentials.TunnelID})")
{
    public override RegisterPayload Register(string challenge, string replicaId) =>
        new("", Credentials.TunnelID, replicaId, [], Convert.FromBase64String(Credentials.TunnelSecret));
}
