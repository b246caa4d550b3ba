using Akka.Actor;
using Akka.Event;
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

    public PeerLinks(EdgeOptions options, EdgeIdentity identity, IActorRef localConnections, string nodeName, PeerAdmission admission)
    {
        // Streams arriving from a peer go to this node's connections only: never bounced on, so never looped.
        var localRouter = new Routing.StreamRouter(localConnections, ActorRefs.Nobody, ActorRefs.Nobody, nodeName);
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
            if (PeerClaim.TryAttach(open.Open, open.Request, out var withClaim, out var refusal)) link.Forward(new OpenStream(withClaim));
            else Sender.Tell(new StreamRefused(refusal));
        });
        Receive<AcceptPeerLink>(accept =>
            Context.ActorOf(Props.Create(() => new InboundPeerLinkActor(accept, localRouter, identity.Store, admission)), $"from-{++inbound}"));
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

    // A link whose socket failed is gone; the next stream for that peer dials a fresh one.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            Context.GetLogger().Error(ex, "Peer link actor failed; stopping it");
            return Directive.Stop;
        });
}
