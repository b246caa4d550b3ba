using Akka;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// An edge the cluster downed (unreachable for too long: a VM paused by its host, a long GC, a
/// partition) cannot rejoin with the same actor system. It stops with exit code 3, not 0, so that
/// the service manager (the units say Restart=always) starts it afresh and it joins the cluster again.
/// </summary>
public static class DownedExit
{
    public const int ExitCode = 3;

    /// <summary>Set once the cluster downed this process's edge: its command's exit status is <see cref="ExitCode"/>.</summary>
    public static bool Downed { get; private set; }

    public static void Register(ActorSystem system, ILogger log)
    {
        system.ActorOf(Props.Create(() => new QuarantineWatch()), "quarantine-watch");
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "exit-code-when-downed", () =>
        {
            // Downed, or (ClusterFounding) not let in by any other seed in time: a fresh start decides again.
            if (shutdown.ShutdownReason is CoordinatedShutdown.ClusterDowningReason or CoordinatedShutdown.ClusterJoinUnsuccessfulReason)
            {
                RoleLog.Downed(log, ExitCode);
                Downed = true;
            }
            return Task.FromResult(Done.Instance);
        });
    }
}

/// <summary>
/// A peer that removed this node from the cluster (it was frozen or cut off for longer than
/// detection plus down-unreachable-after) quarantines it: no association with that peer is possible
/// again until this process restarts. Waiting for this node's own resolver to down itself takes
/// another down-unreachable-after; stopping at once (exit 3, restarted by the unit) gets the edge
/// back into the cluster that much sooner.
/// </summary>
public sealed class QuarantineWatch : ReceiveActor
{
    public QuarantineWatch()
    {
        var log = Context.Logger<QuarantineWatch>();
        var stopping = false;
        Receive<Akka.Remote.ThisActorSystemQuarantinedEvent>(quarantined =>
        {
            if (stopping) return;
            stopping = true;
            ClusterLog.Quarantined(log, quarantined.RemoteAddress.ToString());
            // Down, not just shut down: a leaving member would wait for peers it cannot reach to see it leave.
            var cluster = Akka.Cluster.Cluster.Get(Context.System);
            cluster.Down(cluster.SelfAddress);
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.ThisActorSystemQuarantinedEvent));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
