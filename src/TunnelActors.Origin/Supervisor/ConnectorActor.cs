using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using TunnelActors.Origin.EdgeConnections;
using TunnelActors.Origin.Hosting;
using TunnelActors.Origin.Metrics;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Origin.Supervisor;

/// <summary>
/// Keeps `--ha-connections` connections, spread over the `--edge` replicas, each under its own
/// <see cref="BackoffSupervisor"/>, and drains them all on shutdown.
/// </summary>
public sealed class ConnectorActor : ReceiveActor, IWithTimers
{
    private sealed record DrainDeadline;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<IActorRef> _connections = new();
    private IActorRef? _drainRequester;
    private int _drained;

    public ConnectorActor(ConnectorOptions options, X509Certificate2 certificate, ConnectorMetrics metrics)
    {
        var edges = new EdgeRotation(options.Edges, options.CaFile, options.HaConnections, TimeSpan.FromSeconds(15));
        for (var i = 0; i < options.HaConnections; i++)
        {
            var index = i;
            var connection = Props.Create(() => new EdgeConnectionActor(index, options, certificate, edges, metrics));
            var backoff = BackoffSupervisor.Props(Backoff.OnStop(connection, $"connection-{i}", options.MinBackoff, options.MaxBackoff, randomFactor: 0.2, maxNrOfRetries: -1)
                .WithManualReset()
                .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop)));
            _connections.Add(Context.ActorOf(backoff, $"edge-{i}"));
        }

        Receive<Drain>(_ =>
        {
            _drainRequester = Sender;
            _log.Info("Draining {0} connections for up to {1:0} s", _connections.Count, options.GracePeriod.TotalSeconds);
            foreach (var connection in _connections) connection.Tell(new Drain());
            Timers.StartSingleTimer("deadline", new DrainDeadline(), options.GracePeriod);
        });
        Receive<Drained>(d =>
        {
            // The backoff supervisor would start a replacement: stop it for good.
            Context.Stop(Context.Child($"edge-{d.ConnectionIndex}"));
            if (++_drained >= _connections.Count) Finish("all connections drained");
        });
        Receive<DrainDeadline>(_ => Finish($"grace period over with {metrics.StreamsOpen} streams still open"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    // Each child is a backoff supervisor that never fails itself; if one did, it must not take
    // the other connections down, so only it stops.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Finish(string why)
    {
        if (_drainRequester is null) return;
        _log.Info("Drain finished: {0}", why);
        _drainRequester.Tell(new Drained(-1));
        _drainRequester = null;
    }
}
