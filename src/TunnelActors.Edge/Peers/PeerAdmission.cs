using TunnelActors.Access.Audit;
using TunnelActors.Access.Policies;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Streams;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// The receiving edge's own decision on a stream another edge relays: the client's access
/// request (from the <see cref="PeerClaim"/>) against this edge's policies for the hostname.
/// Refusals are audited here and name the policy outcome; an admitted stream goes on to the
/// connector with the plain identity.
/// </summary>
public sealed class PeerAdmission(AccessPolicySource policies, IAuditLog audit, TimeProvider clock)
{
    /// <summary>The OPEN to send on to the connector and who it is for; throws <see cref="ProtocolException"/> (Refused) with the reason.</summary>
    public (OpenPayload Open, StreamAccess Access) Admit(OpenPayload fromPeer)
    {
        var (request, identity) = PeerClaim.Read(fromPeer);
        var hostname = fromPeer.Hostname.ToLowerInvariant();
        var application = policies.Find(hostname);
        var decision = application is null ? null : PolicyEvaluator.Decide(application, request);
        if (decision is { Allowed: true }) return (fromPeer with { Identity = identity }, new StreamAccess(hostname, identity, application!.Name, request));
        var reason = decision?.Reason ?? $"no Access application covers {hostname} (default deny)";
        audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.Decision, application?.Name, request.Identity, request.SourceIp.ToString(), false,
            decision?.Policy, decision?.Rule, $"{hostname}: relayed by a peer edge and refused here: {reason}"));
        throw new ProtocolException(ProtocolError.Refused, $"access denied by the edge holding the tunnel: {reason}");
    }
}
