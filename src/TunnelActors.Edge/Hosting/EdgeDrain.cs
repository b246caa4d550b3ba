using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.Peers;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// Graceful stop on SIGTERM. The drain starts the moment the host begins stopping, before any
/// service stops: /ready turns 503 and new client streams are refused with 503 (clients fail
/// over to other edges), every connector connection gets GOAWAY (connectors open replacements
/// on other edges first, then close the old connection when its streams end) and idle peer
/// links close. Kestrel, stopped first, waits for the open WebSockets; this service, stopped
/// before Akka, waits out the rest of the grace period, so the node leaves the cluster (and
/// hands its tunnels over) only once its streams are done.
/// </summary>
public sealed class EdgeDrain(EdgeOptions options, ActorRegistry registry, EdgeMetrics metrics, IHostApplicationLifetime lifetime, ILogger<EdgeDrain> log)
    : IHostedService
{
    private readonly Stopwatch _since = new();
    private volatile bool _draining;

    public bool Draining => _draining;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(Begin);
        return Task.CompletedTask;
    }

    private void Begin()
    {
        _draining = true;
        _since.Start();
        log.LogInformation("Edge draining: GOAWAY to {Connections} connector connections; {Streams} open streams have up to {Grace:0} s",
            metrics.Connections, metrics.StreamsOpen, options.GracePeriod.TotalSeconds);
        var drain = new DrainConnection("edge is shutting down");
        if (registry.TryGet<OriginConnectionManager>(out var connections)) connections.Tell(drain, ActorRefs.NoSender);
        if (registry.TryGet<PeerLinks>(out var peers)) peers.Tell(drain, ActorRefs.NoSender);
        if (registry.TryGet<Clients.ClientCarriers>(out var carriers)) carriers.Tell(drain, ActorRefs.NoSender);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        while ((metrics.StreamsOpen > 0 || metrics.Connections > 0) && _since.Elapsed < options.GracePeriod && !cancellationToken.IsCancellationRequested)
            await Task.Delay(100, CancellationToken.None);
        log.LogInformation("Edge drained in {Seconds:0.0} s: {Streams} streams and {Connections} connections left",
            _since.Elapsed.TotalSeconds, metrics.StreamsOpen, metrics.Connections);
    }
}
