using TunnelActors.Transport.Hosting;
using Microsoft.Extensions.Logging;
using Akka.Actor;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Hosting;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Edge.Peers;

/// <summary>
/// Parent of this node's edge-to-edge links: one outbound link per peer edge, created on the
/// first stream for it, and one inbound link per edge that dialled this one.
/// </summary>
public sealed class PeerLinks : ReceiveActor
{
    private readonly Dictionary<string, IActorRef> _outbound = new();

    /// <param name="streams">This node's stream actors' parent, which the streams arriving on inbound links become children of
    /// (resolved when the first link arrives: it is started after this actor, whose links its streams use).</param>
    public PeerLinks(EdgeOptions options, EdgeIdentity identity, Func<IActorRef> streams)
    {
        var inbound = 0L;
        Receive<OpenPeerStream>(open =>
        {
            if (!_outbound.TryGetValue(open.PeerUrl, out var link))
            {
                var dialer = new EdgeDialer(new Uri(open.PeerUrl), options.DataPath(EdgeBootstrap.CaFile), TimeSpan.FromSeconds(5));
                link = Context.Watch(Context.ActorOf(Props.Create(() => new OutboundPeerLinkActor(open.PeerUrl, dialer, identity.PeerToken, options)),
                    "to-" + Uri.EscapeDataString(open.PeerUrl)));
                _outbound[open.PeerUrl] = link;
            }
            if (open.Request is null)
            {
                Sender.Tell(new StreamRefused("a stream relayed to a peer edge needs the client's access request"));
                return;
            }
            // A claim too large for an OPEN (hundreds of groups) refuses that stream, never the links.
            if (PeerClaim.TryAttach(open.Open, open.Request, out var withClaim, out var refusal)) link.Forward(new OpenStream(withClaim, open.Handoff));
            else Sender.Tell(new StreamRefused(refusal));
        });
        Receive<AcceptPeerLink>(accept =>
            Context.ActorOf(Props.Create(() => new InboundPeerLinkActor(accept, streams(), options)), $"from-{++inbound}"));
        // Idle links from other edges would hold this edge's shutdown open: they close once their streams end.
        Receive<DrainConnection>(drain =>
        {
            foreach (var child in Context.GetChildren()) child.Forward(drain);
        });
        Receive<Terminated>(t =>
        {
            foreach (var url in _outbound.Where(o => o.Value.Equals(t.ActorRef)).Select(o => o.Key).ToList()) _outbound.Remove(url);
        });
    }

    // A link owns its socket: one that failed is gone, and the next stream for that peer dials a fresh one.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            RoleLog.ChildFailed(Context.Logger<PeerLinks>(), ex, Sender.Path.ToString(), "the next stream for that peer dials a new link");
            return Directive.Stop;
        });
}
