using System.Net;
using Akka.Actor;
using Akka.Hosting;
using TunnelActors.Transport.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Certificates;
using TunnelActors.Origin.EdgeConnections;
using TunnelActors.Origin.Metrics;
using TunnelActors.Origin.Supervisor;

namespace TunnelActors.Origin.Hosting;

/// <summary>Builds the connector process: its actors, the metrics server, and the SIGTERM drain.</summary>
public static class ConnectorHost
{
    public static WebApplication Build(ConnectorOptions options)
    {
        var identity = Identity(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddRoleConsole();
        builder.Services.AddRoleService("tunnelactors-tunnel");
        builder.Services.AddIdleMemoryTrimmer();
        builder.WebHost.ConfigureKestrel(k => k.Listen(ParseEndpoint(options.MetricsAddress)));
        // Host shutdown must outlast the drain, or open streams are cut at the default 30 s.
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.GracePeriod + TimeSpan.FromSeconds(10));

        var metrics = new ConnectorMetrics(options.HaConnections, (identity as QuickTunnelIdentity)?.Certificate.NotAfter);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddRoleMetrics("connector", ConnectorMetrics.MeterName);
        builder.Services.AddSingleton(options);
        builder.Services.AddAkka("tunnelactors-connector", akka => akka
            .WithRoleDefaults()
            .WithActors((system, registry, resolver) =>
            {
                var connector = system.ActorOf(Props.Create(() => new ConnectorActor(options, identity, metrics)), "connector");
                registry.Register<ConnectorActor>(connector);
                system.ActorOf(Props.Create(() => new RoleSentinel(new[] { connector }, resolver.GetService<IHostApplicationLifetime>())), "sentinel");
            }));
        builder.Services.AddHostedService<DrainOnShutdown>();

        var app = builder.Build();
        app.MapGet("/ready", () => metrics.RegisteredConnections > 0
            ? Results.Json(new { readyConnections = metrics.RegisteredConnections })
            : Results.Json(new { readyConnections = 0 }, statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapRoleMetrics();
        app.MapGet("/healthcheck", () => Results.Text("OK\n"));
        return app;
    }

    private static TunnelIdentity Identity(ConnectorOptions options)
    {
        if (options.Credentials is { } credentials) return new NamedTunnelIdentity(credentials);
        var path = options.OriginCertificate ?? throw new ArgumentException("a quick tunnel needs --origincert");
        var certificate = Pem.LoadWithPrivateKey(path);
        var zone = OriginCredential.ZoneOf(certificate);
        if (!OriginCredential.HostnameIsInZone(options.Hostname, zone))
            throw new ArgumentException($"--hostname {options.Hostname} is outside the zone {zone} of {path}; use a hostname under {zone} or a certificate for its zone");
        return new QuickTunnelIdentity(certificate, options.Hostname, options.EffectiveConnectorId);
    }

    public static IPEndPoint ParseEndpoint(string address) =>
        IPEndPoint.TryParse(address.Replace("localhost", "127.0.0.1"), out var endpoint) && endpoint.Port >= 0
            ? endpoint
            : throw new ArgumentException($"'{address}' is not a host:port address (example: 127.0.0.1:20241)");

    /// <summary>On SIGTERM: GOAWAY on every connection, let open streams finish within the grace period.</summary>
    private sealed class DrainOnShutdown(ActorRegistry registry, ConnectorOptions options, ILogger<DrainOnShutdown> log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            log.LogInformation("Shutting down: draining for up to {Grace}", options.GracePeriod);
            try { await registry.Get<ConnectorActor>().Ask<Drained>(new Drain(), options.GracePeriod + TimeSpan.FromSeconds(5), cancellationToken); }
            catch (Exception e) { log.LogWarning("Drain did not finish cleanly: {Reason}", e.Message); }
        }
    }
}
