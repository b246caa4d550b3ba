using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using Akka.Actor;
using Akka.Pattern;
using TunnelActors.Origin.EdgeConnections;
using TunnelActors.Origin.Hosting;
using TunnelActors.Origin.Metrics;

namespace TunnelActors.Origin.Supervisor;

/// <summary>
/// Keeps `--ha-connections` connections, spread over the `--edge` replicas, each slot under its
/// own <see cref="BackoffSupervisor"/>. When an edge sends GOAWAY, the slot gets a replacement
/// connection at once while the old one finishes its streams; on shutdown all are drained.
/// </summary>
public sealed class ConnectorActor : ReceiveActor, IWithTimers
{
    private sealed record DrainDeadline;

    private readonly ILogger _log = Context.Logger<ConnectorActor>();
    private readonly IActorRef[] _slots;                      // each slot's current connection supervisor
    private readonly Dictionary<IActorRef, int> _retiring = new(); // old connections (→ slot) finishing streams on a draining edge
    private readonly HashSet<IActorRef> _draining = new();
    private IActorRef? _drainRequester;
    private int _generation;

    // TCP, TLS and the upgrade take a few round trips even on a long path; a frozen edge (its kernel still
    // accepts TCP) must cost one connection this long, after which every connection skips it (EdgeRotation).
    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(5);

    public ConnectorActor(ConnectorOptions options, TunnelIdentity identity, ConnectorMetrics metrics)
    {
        var edges = new EdgeRotation(options.Edges, options.CaFile, options.HaConnections, DialTimeout);
        var connector = Self;
        IActorRef StartSlot(int index)
        {
            var connection = Props.Create(() => new EdgeConnectionActor(index, options, identity, edges, metrics, connector));
            var backoff = BackoffSupervisor.Props(Backoff.OnStop(connection, $"connection-{index}", options.MinBackoff, options.MaxBackoff, randomFactor: 0.2, maxNrOfRetries: -1)
                .WithManualReset()
                .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop)));
            return Context.ActorOf(backoff, $"edge-{index}-{++_generation}");
        }
        _slots = Enumerable.Range(0, options.HaConnections).Select(StartSlot).ToArray();

        Receive<Retiring>(r =>
        {
            var slot = Array.IndexOf(_slots, r.Supervisor);
            if (slot < 0 || _drainRequester is not null) return;
            _retiring[r.Supervisor] = slot;
            _slots[slot] = StartSlot(slot);
            ConnectorLog.ReplacementStarted(_log, slot);
        });
        Receive<SlotRegistered>(r =>
        {
            var slot = Array.IndexOf(_slots, r.Supervisor);
            foreach (var (old, _) in _retiring.Where(e => e.Value == slot)) old.Tell(new ReplacementReady());
        });
        Receive<Retired>(r =>
        {
            // Its backoff supervisor would restart it on the draining edge: stop it for good.
            if (_retiring.Remove(r.Supervisor)) Context.Stop(r.Supervisor);
        });
        Receive<Drain>(_ =>
        {
            _drainRequester = Sender;
            _draining.UnionWith(_slots.Concat(_retiring.Keys));
            ConnectorLog.Draining(_log, _draining.Count, options.GracePeriod.TotalSeconds);
            foreach (var connection in _draining) connection.Tell(new Drain());
            Timers.StartSingleTimer("deadline", new DrainDeadline(), options.GracePeriod);
        });
        Receive<Drained>(d =>
        {
            if (d.Supervisor is null || !_draining.Remove(d.Supervisor)) return;
            Context.Stop(d.Supervisor);
            if (_draining.Count == 0) Finish("all connections drained");
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
        ConnectorLog.DrainFinished(_log, why);
        _drainRequester.Tell(new Drained(null));
        _drainRequester = null;
    }
}
