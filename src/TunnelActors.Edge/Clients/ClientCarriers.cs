using System.Net;
using Akka.Actor;
using TunnelActors.Protocol;
using TunnelActors.Transport.Hosting;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Clients;

/// <summary>
/// Parent of the clients' carriers on this node (`/user/client-carriers`): admits at most
/// <see cref="MaxPerSource"/> carriers per client address (one `access tcp` needs one per set of
/// edges), starts one actor per accepted carrier, and passes a drain on to each. Carriers take
/// client-sized streams: an OPEN may announce no larger window than ours, and
/// <see cref="ClientCarrier.MaxStreams"/> at a time, so one carrier buffers at most that many initial windows plus
/// its share of window growth.
/// </summary>
public sealed class ClientCarriers : ReceiveActor
{
    public const int MaxPerSource = 64;

    private readonly Dictionary<IPAddress, int> _perSource = new();
    private readonly Dictionary<IActorRef, IPAddress> _sources = new();
    private long _started;

    public ClientCarriers(Hosting.EdgeOptions options, IActorRef streams, Hosting.ClusterQuorum quorum)
    {
        var mux = options.Mux with { MaxStreams = ClientCarrier.MaxStreams, MaxOpenWindow = options.Mux.StreamWindow };
        Receive<AdmitCarrier>(admit =>
        {
            var open = _perSource.GetValueOrDefault(admit.Source);
            if (open >= MaxPerSource)
            {
                Sender.Tell(new CarrierRefused($"{admit.Source} already holds {open} carriers on this edge, the limit"));
                return;
            }
            _perSource[admit.Source] = open + 1;
            Sender.Tell(new CarrierAdmitted());
        });
        Receive<CarrierGone>(gone => Release(gone.Source));
        Receive<AcceptCarrier>(accept =>
        {
            var carrier = Context.Watch(Context.ActorOf(Props.Create(() => new ClientCarrierActor(accept, streams, options, mux, quorum)), $"carrier-{++_started}"));
            _sources[carrier] = accept.Source;
        });
        Receive<Terminated>(t =>
        {
            if (_sources.Remove(t.ActorRef, out var source)) Release(source);
        });
        Receive<Connections.DrainConnection>(drain =>
        {
            foreach (var child in Context.GetChildren()) child.Forward(drain);
        });
        Receive<Hosting.MinoritySide>(minority =>
        {
            foreach (var child in Context.GetChildren()) child.Tell(new Connections.DrainConnection(minority.Reason));
        });
    }

    private void Release(IPAddress source)
    {
        if (_perSource.TryGetValue(source, out var open) && open > 1) _perSource[source] = open - 1;
        else _perSource.Remove(source);
    }

    // A carrier owns its socket: one that failed is gone, and its client dials a new one.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(ex =>
    {
        RoleLog.ChildFailed(Context.Logger<ClientCarriers>(), ex, Sender.Path.ToString(), "its client dials a new carrier");
        return Directive.Stop;
    });
}
