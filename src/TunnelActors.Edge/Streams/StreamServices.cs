using Microsoft.Extensions.Logging;
using TunnelActors.Access.Audit;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.Peers;
using TunnelActors.Edge.Routing;
using TunnelActors.Edge.State;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Streams;

/// <summary>
/// What every stream actor of a node uses: routing, the policies and the authenticator it is decided with, the
/// credential stores it re-checks (every <paramref name="RecheckInterval"/>), audit, metrics, and the node's name.
/// </summary>
public sealed record StreamServices(StreamRouter Router, EdgeStore Store, PeerAdmission Admission, Clients.ClientAuthenticator Authenticator, AccessPolicySource Policies,
    SessionStore Sessions, ServiceTokenStore ServiceTokens, IAuditLog Audit, EdgeMetrics Metrics, TimeProvider Clock, MuxOptions Mux, string Node,
    ILoggerFactory Logs, TimeSpan RecheckInterval);
