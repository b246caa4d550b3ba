using Akka.Actor;
using Microsoft.Extensions.Hosting;

namespace TunnelActors.Transport.Hosting;

/// <summary>
/// Watches a role's top-level actors (each owns listeners or every connection of the node, so
/// the user guardian stops rather than restarts them: see <see cref="RoleDefaults"/>). One that
/// stops while the process is not shutting down leaves the role unable to serve: the sentinel
/// stops the host with exit code 1, so the service manager restarts a whole, healthy process.
/// </summary>
public sealed class RoleSentinel : ReceiveActor
{
    public RoleSentinel(IReadOnlyList<IActorRef> essentials, IHostApplicationLifetime lifetime)
    {
        foreach (var actor in essentials) Context.Watch(actor);
        Receive<Terminated>(t =>
        {
            if (CoordinatedShutdown.Get(Context.System).ShutdownReason is not null) return; // an orderly stop
            RoleLog.EssentialStopped(Context.Logger<RoleSentinel>(), t.ActorRef.Path.ToString());
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        });
    }
}
