using TunnelActors.Transport.Hosting;
using Microsoft.Extensions.Logging;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Streams;

/// <summary>
/// Parent of every stream actor on this node (`/user/edge-streams`) and their index by stream
/// id: starts them, lists them for operators, closes one on request, and hands every
/// revocation (from the cluster's <see cref="AccessRevoked.Topic"/>) and every local policy
/// reload to each of them to decide on. A stream that fails is stopped, never restarted: it
/// owns sockets, and its client reconnects.
/// </summary>
public sealed class EdgeStreams : ReceiveActor
{
    public const string Name = "edge-streams";
    private static readonly TimeSpan SummaryTimeout = TimeSpan.FromSeconds(2);

    private sealed record PoliciesReloaded(string Reason);

    // Revocations seen lately, replayed to every stream that starts: one authenticated just before a
    // revocation was published may only now be starting. Bounded in age and count.
    private static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(2);
    internal const int MaxReplayed = 1000;

    private readonly Dictionary<string, IActorRef> _streams = new();
    private readonly Dictionary<IActorRef, string> _ids = new();
    private readonly Queue<(DateTime At, AccessRevoked Revoked)> _recent = new();
    private readonly StreamServices _services;
    private readonly Action _onPoliciesChanged;
    private long _counter;

    public EdgeStreams(StreamServices services)
    {
        _services = services;
        var self = Self;
        _onPoliciesChanged = () => self.Tell(new PoliciesReloaded("the edge's Access configuration changed"));
        // "<n>@<host>:<port>" of this node: unique in the cluster, readable in logs and URLs.
        var node = services.Node[(services.Node.LastIndexOf('@') + 1)..];

        Receive<OpenClientStream>(open => Start($"s{++_counter}@{node}", new EdgeStreamActor.ForClient(open, Sender)));
        // A carrier stream's id is its carrier's (given by this node) and its number there: the client logs the same one.
        Receive<CarrierStream>(carried =>
        {
            // The mux admits only growing ids, so a second life of an id cannot get here; if it did, refusing it keeps this actor (and every stream under it) alive.
            var id = ClientCarrier.StreamId(carried.Carrier, carried.Stream.Id);
            if (_streams.ContainsKey(id)) carried.Stream.Abort(new ProtocolException(ProtocolError.StreamState, $"stream {id} is still open on this edge"));
            else Start(id, new EdgeStreamActor.ForCarrier(carried));
        });
        // A relayed stream keeps the id the client's edge gave it (unique in the cluster): one id for the stream on every hop.
        // Never one this edge's counter could give (a peer could otherwise make a later local stream's name collide).
        Receive<RelayPeerStream>(relay => Start(
            relay.FromPeer.Open.StreamId is { Length: > 0 and <= 100 } id && !id.EndsWith("@" + node, StringComparison.Ordinal) && !_streams.ContainsKey(id)
                ? id : $"s{++_counter}@{node}",
            new EdgeStreamActor.ForPeer(relay)));
        Receive<ListStreams>(_ =>
        {
            var streams = _streams.Values.ToList();
            Task.WhenAll(streams.Select(Summarise))
                .PipeTo(Sender, success: summaries => new StreamList(services.Node, summaries.OfType<StreamSummary>().OrderBy(s => s.AgeSeconds).ToList()));
        });
        Receive<CloseStream>(close =>
        {
            if (_streams.TryGetValue(close.StreamId, out var stream)) stream.Forward(close);
            else Sender.Tell(new NoSuchStream(close.StreamId));
        });
        Receive<AccessRevoked>(revoked =>
        {
            Remember(revoked);
            if (revoked.Scope != RevocationScope.Policies) Broadcast(revoked);
            // Applications saved through the admin API live in the database: read them again, off the actor, then decide.
            else Task.Run(services.Policies.LoadStored).PipeTo(Self, success: () => new PoliciesReloaded(revoked.Reason),
                failure: e => new PoliciesReloaded($"{revoked.Reason} (stored applications not re-read: {e.GetBaseException().Message})"));
        });
        Receive<PoliciesReloaded>(reloaded => Broadcast(new AccessRevoked(RevocationScope.Policies, "", reloaded.Reason)));
        Receive<SubscribeAck>(_ => { });
        Receive<Terminated>(t =>
        {
            if (_ids.Remove(t.ActorRef, out var id)) _streams.Remove(id);
        });
    }

    protected override void PreStart()
    {
        DistributedPubSub.Get(Context.System).Mediator.Tell(new Subscribe(AccessRevoked.Topic, Self));
        _services.Policies.Changed += _onPoliciesChanged;
    }

    protected override void PostStop() => _services.Policies.Changed -= _onPoliciesChanged;

    private void Start(string id, EdgeStreamActor.Start start)
    {
        var services = _services;
        var stream = Context.Watch(Context.ActorOf(ActorProps.Of(() => new EdgeStreamActor(id, services, start)), Uri.EscapeDataString(id)));
        (_streams[id], _ids[stream]) = (stream, id);
        foreach (var (_, revoked) in _recent) if (revoked.Scope != RevocationScope.Policies) stream.Tell(revoked);
    }

    private void Remember(AccessRevoked revoked)
    {
        var now = DateTime.UtcNow;
        _recent.Enqueue((now, revoked));
        while (_recent.Count > MaxReplayed || (_recent.TryPeek(out var oldest) && now - oldest.At > ReplayWindow)) _recent.Dequeue();
    }

    private void Broadcast(AccessRevoked revoked)
    {
        foreach (var stream in _streams.Values) stream.Tell(revoked);
    }

    private static async Task<StreamSummary?> Summarise(IActorRef stream)
    {
        try { return await stream.Ask<StreamSummary>(new GetStreamSummary(), SummaryTimeout); }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { return null; } // it ended meanwhile
    }

    // A stream owns its client's and its connection's sockets: a failure ends that stream alone.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        RoleLog.ChildFailed(Context.Logger<EdgeStreams>(), e, Sender.Path.ToString(), "its stream ends; its client reconnects");
        return Directive.Stop;
    });
}
