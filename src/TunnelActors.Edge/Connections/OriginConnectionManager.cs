using Akka.Actor;
using Akka.Event;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.Ops;

namespace TunnelActors.Edge.Connections;

/// <summary>Parent of every origin connection on this node.</summary>
public sealed class OriginConnectionManager : ReceiveActor
{
    public OriginConnectionManager(EdgeIdentity identity, EdgeOptions options, IActorRef tunnels, string nodeName, EdgeMetrics metrics)
    {
        var counter = 0L;
        // URL-safe and readable in logs and the admin API: "<n>@<host>:<port>" of this edge node.
        var node = nodeName[(nodeName.LastIndexOf('@') + 1)..];
        Receive<AcceptOriginConnection>(accept =>
        {
            var id = $"{++counter}@{node}";
            Context.ActorOf(Props.Create(() => new OriginConnectionActor(id, accept, identity, options, tunnels, nodeName, metrics)), $"conn-{counter}");
        });
    }

    // A connection that fails is gone: its connector reconnects (with backoff) on its own, so
    // restarting an actor around a dead socket would only hide the failure.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            Context.GetLogger().Error(ex, "Origin connection actor failed; stopping it");
            return Directive.Stop;
        });
}
