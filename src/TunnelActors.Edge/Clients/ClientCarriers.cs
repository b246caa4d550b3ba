using Akka.Actor;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Edge.Clients;

/// <summary>
/// Parent of the clients' carriers on this node (`/user/client-carriers`): starts one per accepted
/// carrier and passes a drain on to each.
/// </summary>
public sealed class ClientCarriers : ReceiveActor
{
    private long _accepted;

    public ClientCarriers(Hosting.EdgeOptions options, IActorRef streams)
    {
        Receive<AcceptCarrier>(accept =>
        {
            var name = $"{accept.RemoteAddress}#{++_accepted}";
            Context.ActorOf(Props.Create(() => new ClientCarrierActor(accept, name, streams, options)), $"carrier-{_accepted}");
        });
        Receive<Connections.DrainConnection>(drain =>
        {
            foreach (var child in Context.GetChildren()) child.Forward(drain);
        });
    }

    // A carrier owns its socket: one that failed is gone, and its client dials a new one.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        RoleLog.ChildFailed(Context.Logger<ClientCarriers>(), ex, Sender.Path.ToString(), "its client dials a new carrier");
        return Directive.Stop;
    });
}
