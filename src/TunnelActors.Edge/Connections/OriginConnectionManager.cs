using TunnelActors.Transport.Hosting;
using Microsoft.Extensions.Logging;
using Akka.Actor;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.Tunnels;

namespace TunnelActors.Edge.Connections;

/// <summary>Pick a connection of this node for <paramref name="TunnelId"/>: answers <see cref="ConnectionPicked"/> or <see cref="NoConnection"/>.</summary>
public sealed record PickLocalConnection(string TunnelId);

/// <summary>
/// Parent of every origin connection on this node, and their local index. A client on this
/// node is served by a local connection without asking the tunnel's sharded entity: no
/// cluster hop per stream, and no dependence on the node hosting that entity being alive —
/// the reason new streams recover within a heartbeat when another edge dies.
/// </summary>
public sealed class OriginConnectionManager : ReceiveActor, IWithTimers
{
    private sealed record CheckRevocations;

    // How soon a revoked origin certificate's live connections are cut (one query per edge per interval).
    private static readonly TimeSpan RevocationCheckInterval = TimeSpan.FromSeconds(5);

    private readonly ConnectionTable _local = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public OriginConnectionManager(EdgeIdentity identity, EdgeOptions options, IActorRef tunnels, string nodeName, EdgeMetrics metrics)
    {
        var revokedCount = 0;
        Receive<CheckRevocations>(_ => Task.Run(identity.OriginCertificates.RevokedSerials)
            .PipeTo(Self, success: serials => new RevokedCertificates(serials), failure: _ => new RevokedCertificates(new HashSet<string>())));
        Receive<RevokedCertificates>(revoked =>
        {
            if (revoked.Serials.Count == revokedCount) return;
            revokedCount = revoked.Serials.Count;
            foreach (var child in Context.GetChildren()) child.Tell(revoked);
        });
        var counter = 0L;
        // URL-safe and readable in logs and the admin API: "<n>@<host>:<port>" of this edge node.
        var node = nodeName[(nodeName.LastIndexOf('@') + 1)..];
        var draining = false;
        Receive<AcceptOriginConnection>(accept =>
        {
            if (draining)
            {
                // Shutting down: the connector's rotation takes it to another edge.
                accept.WebSocket.Abort();
                accept.Slot.Dispose();
                accept.Done.TrySetResult();
                return;
            }
            var id = $"{++counter}@{node}";
            Context.Watch(Context.ActorOf(Props.Create(() => new OriginConnectionActor(id, accept, identity, options, tunnels, nodeName, metrics)), $"conn-{counter}"));
        });
        Receive<ConnectionHeartbeat>(beat => { _local.Beat(beat, DateTime.UtcNow); }); // a block: a bool lambda would mean "handled?"
        Receive<ConnectionClosed>(closed => _local.Forget(closed.ConnectionId));
        Receive<Terminated>(t => _local.ForgetActor(t.ActorRef));
        Receive<DrainConnection>(drain =>
        {
            draining = true;
            foreach (var child in Context.GetChildren()) child.Forward(drain);
        });
        // Lost the majority: connectors replace these connections on the majority side (make before break).
        Receive<MinoritySide>(minority =>
        {
            foreach (var child in Context.GetChildren()) child.Tell(new DrainConnection(minority.Reason));
        });
        Receive<PickLocalConnection>(pick => Sender.Tell(_local.Pick(pick.TunnelId, nodeName)
            ?? (object)new NoConnection(pick.TunnelId, $"no connection of {pick.TunnelId} on this edge")));
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("revocations", new CheckRevocations(), RevocationCheckInterval);

    // A connection that fails is gone: its connector reconnects (with backoff) on its own, so
    // restarting an actor around a dead socket would only hide the failure.
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(ex =>
        {
            RoleLog.ChildFailed(Context.Logger<OriginConnectionManager>(), ex, Sender.Path.ToString(), "its connector reconnects");
            return Directive.Stop;
        });
}
