using TunnelActors.Transport.Hosting;
using Microsoft.Extensions.Logging;
using Akka.Actor;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.Tunnels;

namespace TunnelActors.Edge.Connections;

/// <summary>
/// Parent of every origin connection on this node. Its connections announce themselves in the node's
/// <see cref="LocalConnections"/>, so a client on this node is served by a local connection without asking
/// the tunnel's sharded entity: the reason new streams recover within a heartbeat when another edge dies.
/// </summary>
public sealed class OriginConnectionManager : ReceiveActor, IWithTimers
{
    private sealed record CheckRevocations;

    // How soon a revoked origin certificate's live connections are cut (one query per edge per interval).
    private static readonly TimeSpan RevocationCheckInterval = TimeSpan.FromSeconds(5);

    public ITimerScheduler Timers { get; set; } = null!;

    public OriginConnectionManager(EdgeIdentity identity, EdgeOptions options, IActorRef tunnels, LocalConnections local, string nodeName, EdgeMetrics metrics)
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
            Context.ActorOf(Props.Create(() => new OriginConnectionActor(id, accept, identity, options, tunnels, local, nodeName, metrics)), $"conn-{counter}");
        });
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
