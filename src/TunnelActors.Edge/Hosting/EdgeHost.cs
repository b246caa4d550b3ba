using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using TunnelActors.Transport.Hosting;
using Akka.Remote.Hosting;
using Akka.Streams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Login;
using TunnelActors.Access.Tokens;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Clients;
using TunnelActors.Edge.State;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Edge.Peers;
using TunnelActors.Edge.Routing;
using TunnelActors.Edge.Streams;

namespace TunnelActors.Edge.Hosting;

/// <summary>Builds and runs one edge node: Kestrel (HTTPS + WebSockets) and its Akka cluster member.</summary>
public static class EdgeHost
{
    public const string SystemName = "tunnelactors";

    public static WebApplication Build(EdgeOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddRoleConsole();
        builder.Services.AddRoleService("tunnelactors-edge");
        builder.Services.AddIdleMemoryTrimmer();
        configureLogging?.Invoke(builder.Logging);

        using var bootstrapLogs = LoggerFactory.Create(l => l.AddRoleConsole());
        var identity = EdgeBootstrap.Initialize(options, bootstrapLogs.CreateLogger("TunnelActors.Edge"));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var port = options.Listen.Port;
            void Https(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions l) => l.UseHttps(identity.TlsCertificate);
            if (IPAddress.TryParse(options.Listen.Host, out var ip)) kestrel.Listen(ip, port, Https);
            else if (options.Listen.Host == "localhost") kestrel.ListenLocalhost(port, Https);
            else kestrel.ListenAnyIP(port, Https);
            // Prometheus scrapes plain HTTP on its own (usually loopback) port, as cloudflared's --metrics.
            if (options.MetricsAddress is { } metricsAddress) kestrel.Listen(metricsAddress);
        });
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>(); // replaces Kestrel's 4 KiB blocks
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(identity);
        builder.Services.AddSingleton(identity.Store);
        builder.Services.AddSingleton(identity.Tunnels);
        builder.Services.AddSingleton(TimeProvider.System);
        var metrics = new EdgeMetrics();
        builder.Services.AddSingleton(metrics);
        builder.Services.AddRoleMetrics("edge", EdgeMetrics.MeterName);
        // Refusals are aggregated per source: a flood of bad requests writes a few rows, not one each;
        // rows are written off the streams' path (disposed after the aggregator: what it flushes is written).
        builder.Services.AddSingleton(sp => new QueuedAuditLog(new DatabaseAuditLog(identity.Store.Database), sp.GetRequiredService<ILogger<QueuedAuditLog>>()));
        builder.Services.AddSingleton<IAuditLog>(sp => new RefusalAggregator(sp.GetRequiredService<QueuedAuditLog>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new AccessPolicySource(options.ConfigFile, sp.GetRequiredService<ILogger<AccessPolicySource>>(), options.Listen.Host, options.DevZone,
            new ApplicationStore(identity.Store.Database)));
        builder.Services.AddSingleton(sp => new SigningKeyRing(identity.Store, sp.GetRequiredService<TimeProvider>()));
        // One issuer for the whole cluster (the first edge's URL, kept in the shared database): a token from any edge works on every edge.
        var tokenIssuer = identity.Store.SharedSecret("token-issuer", () => options.Issuer);
        builder.Services.AddSingleton(sp => new AppTokens(sp.GetRequiredService<SigningKeyRing>(), tokenIssuer, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(new SessionStore(identity.Store.Database));
        builder.Services.AddSingleton(identity.ServiceTokens);
        builder.Services.AddSingleton<Sessions>();
        builder.Services.AddSingleton<ClientAuthenticator>();
        builder.Services.AddSingleton(sp => new LiveState(sp.GetRequiredService<ActorSystem>(), sp.GetRequiredService<ActorRegistry>().Get<TunnelEntity>()));
        builder.Services.AddSingleton<ILoginStateStore>(new DatabaseLoginState(identity.Store.Database));
        builder.Services.AddSingleton<PinChallenges>();
        builder.Services.AddSingleton<SharedBudget>();
        if (options.Oidc is { } oidc)
            builder.Services.AddSingleton(sp => new OidcLogin(oidc, new Uri(options.Issuer + "/cdn-cgi/access/oidc/callback"),
                new HttpClient { Timeout = TimeSpan.FromSeconds(15) }, sp.GetRequiredService<ILoginStateStore>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<DeviceSignIns>();
        builder.Services.AddSingleton<IPinSender>(sp => options.Smtp is { } smtp
            ? new SmtpPinSender(smtp.Host, smtp.Port, smtp.From)
            : new LogPinSender(message => sp.GetRequiredService<ILogger<LogPinSender>>().LogWarning("{Message}", message)));
        builder.Services.AddSingleton<PinOutbox>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PinOutbox>());
        builder.Services.AddSignInLimits();
        var quorum = new ClusterQuorum();
        var founding = new ClusterFounding(identity.Store.Database);
        var seeds = founding.WithholdFounding(options.SeedNodes, options.ClusterHost, options.ClusterPort, bootstrapLogs.CreateLogger("TunnelActors.Edge"));
        builder.Services.AddAkka(SystemName, (akka, _) => ConfigureAkka(akka, options, identity, metrics, quorum, founding, seeds));
        builder.Services.AddSingleton(quorum);
        builder.Services.AddSingleton<EdgeDrain>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EdgeDrain>()); // after Akka: stopped before it
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.GracePeriod + TimeSpan.FromSeconds(15));

        var app = builder.Build();
        app.Services.GetRequiredService<AccessPolicySource>().LoadStored(); // a broken configuration fails at start-up, not at the first client
        if (options.MetricsAddress is { } metricsAddress) app.UseMetricsListenerSplit(metricsAddress.Port);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        app.UseBrowserGuards();
        app.UseRateLimiter();
        MapEndpoints(app);
        ObserveNode(metrics, app.Services, identity, app.Services.GetRequiredService<ClusterQuorum>());
        return app;
    }

    /// <summary>Gauges of what the edge holds beyond its counters: cluster membership as this node sees it, and its certificate's expiry.</summary>
    private static void ObserveNode(EdgeMetrics metrics, IServiceProvider services, EdgeIdentity identity, ClusterQuorum quorum)
    {
        metrics.Observe("tunnelactors_edge_serving", () => [new(quorum.Refusal is null ? 1 : 0)],
            "1 while this edge takes new client streams and connector registrations (an Up member on the majority side), else 0.");
        var tlsNotAfter = identity.TlsCertificate.NotAfter.ToUniversalTime();
        metrics.Observe("tunnelactors_edge_tls_certificate_expiry_timestamp_seconds", () => [new(new DateTimeOffset(tlsNotAfter).ToUnixTimeSeconds())],
            "When the edge's TLS certificate expires (Unix time).");
        // The cluster exists once the Akka hosted service started; until then (and after it stopped) nothing is observed.
        Akka.Cluster.ClusterEvent.CurrentClusterState? State()
        {
            try { return services.GetService<ActorSystem>() is { WhenTerminated.IsCompleted: false } system ? Cluster.Get(system).State : null; }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { return null; }
        }
        metrics.Observe("tunnelactors_edge_cluster_members", () => State()?.Members.GroupBy(m => m.Status)
                .Select(g => new System.Diagnostics.Metrics.Measurement<long>(g.Count(), new KeyValuePair<string, object?>("status", g.Key.ToString().ToLowerInvariant()))) ?? [],
            "Cluster members this node knows, by status (up, joining, leaving, exiting, down).");
        metrics.Observe("tunnelactors_edge_cluster_unreachable_members", () => State() is { } state ? [new(state.Unreachable.Count)] : [],
            "Members this node's failure detector marks unreachable.");
    }

    /// <param name="withheldSeeds">The seeds to join through when this edge may not found the cluster (<see cref="ClusterFounding"/>); null to use all.</param>
    private static void ConfigureAkka(AkkaConfigurationBuilder akka, EdgeOptions options, EdgeIdentity identity, EdgeMetrics metrics, ClusterQuorum quorum,
        ClusterFounding founding, IReadOnlyList<string>? withheldSeeds)
    {
        akka.WithRoleDefaults()
            .WithClusterSerialization()
            .AddHocon(ClusterTuning(options, withheldSeeds is not null), HoconAddMode.Prepend)
            .WithRemoting(new RemoteOptions
            {
                HostName = options.ClusterHost,
                Port = options.ClusterPort,
                EnableSsl = true,
                Ssl = ClusterLinks.MutualTls(identity),
            })
            .WithClustering(new ClusterOptions { Roles = ["edge"], SeedNodes = (withheldSeeds ?? options.SeedNodes).Select(ClusterLinks.SeedAddress).ToArray() })
            .WithDistributedPubSub("edge") // revocations reach every edge's streams at once
            .WithShardRegion<TunnelEntity>("tunnel",
                tunnelId => Props.Create(() => new TunnelEntity(tunnelId, options.HeartbeatInterval, metrics)),
                new TunnelMessageExtractor(),
                // Tunnel entities hold live routing state: never stop them for being idle. The coordinator keeps
                // where each shard lives in distributed data, replicated to a majority of edges: the default
                // (persistence) wrote it to the in-memory journal of whichever edge ran the coordinator, so after
                // that edge died its successor knew no placements and started a second copy of live tunnels.
                new ShardOptions { ShouldPassivateIdleEntities = false, Role = "edge", StateStoreMode = StateStoreMode.DData })
            .WithActors((system, registry, resolver) =>
            {
                var cluster = Cluster.Get(system);
                if (options.SeedNodes.Count == 0) cluster.Join(cluster.SelfAddress); // embedded default: a cluster of one
                DownedExit.Register(system, resolver.GetService<ILoggerFactory>().CreateLogger(typeof(DownedExit)));
                var tunnels = registry.Get<TunnelEntity>();
                var node = cluster.SelfAddress.ToString();
                var local = new LocalConnections(options.HeartbeatInterval);
                var manager = system.ActorOf(Props.Create(() =>
                    new OriginConnectionManager(identity, options, tunnels, local, node, metrics)), "origin-connections");
                registry.Register<OriginConnectionManager>(manager);
                var peers = system.ActorOf(Props.Create(() => new PeerLinks(options, identity, () => registry.Get<EdgeStreams>())), "peer-links");
                registry.Register<PeerLinks>(peers);
                var policies = resolver.GetService<AccessPolicySource>();
                var audit = resolver.GetService<IAuditLog>();
                var logs = resolver.GetService<ILoggerFactory>();
                var services = new StreamServices(new StreamRouter(local, tunnels, peers, node, logs.CreateLogger<StreamRouter>()), identity.Store,
                    new PeerAdmission(policies, audit, TimeProvider.System), resolver.GetService<ClientAuthenticator>(), policies, resolver.GetService<SessionStore>(), identity.ServiceTokens,
                    audit, metrics, TimeProvider.System, options.Mux, node, logs, options.StreamRecheckInterval);
                var streams = system.ActorOf(Props.Create(() => new EdgeStreams(services)), EdgeStreams.Name);
                registry.Register<EdgeStreams>(streams);
                var carriers = system.ActorOf(Props.Create(() => new ClientCarriers(options, streams, quorum)), "client-carriers");
                registry.Register<ClientCarriers>(carriers);
                system.ActorOf(Props.Create(() => new QuorumWatch(quorum, new[] { manager, carriers })), "quorum");
                if (options.SeedNodes.Count > 1)
                {
                    var self = $"{options.ClusterHost}:{options.ClusterPort}";
                    var beacon = system.ActorOf(Props.Create(() => new FoundingBeacon(founding, quorum, self)), "founding-beacon");
                    CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "forget-founding-beacon",
                        () => beacon.Ask<object>(new ForgetBeacon(), TimeSpan.FromSeconds(3)).ContinueWith(_ => Akka.Done.Instance));
                }
                system.ActorOf(Props.Create(() => new RoleSentinel(new[] { manager, peers, streams, carriers }, resolver.GetService<IHostApplicationLifetime>())), "sentinel");
            });
    }

    /// <summary>Cross-node messages are records holding actor refs: Hyperion serialises every <see cref="IClusterMessage"/> without per-type code.</summary>
    public static AkkaConfigurationBuilder WithClusterSerialization(this AkkaConfigurationBuilder akka) =>
        akka.WithCustomSerializer("hyperion", [typeof(IClusterMessage)], system => new Akka.Serialization.HyperionSerializer(system));

    // Only what Akka has no typed builder for: failure detection and the split-brain resolver.
    private static string ClusterTuning(EdgeOptions options, bool foundingWithheld) => $$"""
        akka.cluster {
          {{(foundingWithheld ? $"shutdown-after-unsuccessful-join-seed-nodes = {(int)ClusterFounding.JoinDeadline.TotalSeconds}s" : "")}}
          failure-detector.acceptable-heartbeat-pause = {{(int)options.FailureDetectorPause.TotalMilliseconds}}ms
          downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
          split-brain-resolver {
            active-strategy = keep-majority
            stable-after = {{(int)options.DownUnreachableAfter.TotalMilliseconds}}ms
          }
        }
        """;

    // Actors and the ActorSystem exist only once the Akka hosted service started: resolve per request.
    private static void MapEndpoints(WebApplication app)
    {
        var services = app.Services;
        ActorSystem System() => services.GetRequiredService<ActorSystem>();
        IActorRef Actor<T>() => services.GetRequiredService<ActorRegistry>().Get<T>();

        var registrationSlots = new RegistrationSlots();
        var quorum = services.GetRequiredService<ClusterQuorum>();
        app.Map(OriginEndpoint.Path, context => new OriginEndpoint(Actor<OriginConnectionManager>(), registrationSlots, quorum).HandleAsync(context));
        var peerEndpoint = new Lazy<PeerEndpoint>(() => new PeerEndpoint(Actor<PeerLinks>(), services.GetRequiredService<EdgeIdentity>().PeerToken,
            services.GetRequiredService<ILogger<PeerEndpoint>>()));
        app.Map(PeerEndpoint.Path, context => peerEndpoint.Value.HandleAsync(context));

        app.MapGet("/healthcheck", () => Results.Text("OK\n"));
        if (services.GetRequiredService<EdgeOptions>().MetricsAddress is { } metricsAddress)
            app.MapRoleMetrics(); // metrics listener only: see MetricsListener
        app.MapLogin();
        app.MapLogout();
        app.MapAdminApi(services.GetRequiredService<EdgeIdentity>().AdminToken);
        app.MapDashboard();
        app.MapNamedTunnelApi();
        app.MapGet("/cdn-cgi/access/certs", (SigningKeyRing keys) => Results.Json(Jwks.From(keys)));
        app.MapGet("/ready", (EdgeDrain drain) =>
        {
            if (drain.Draining) return Results.Json(new { status = "draining" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            // Ready when it takes new streams: an Up member on the majority side (ClusterQuorum).
            var member = Cluster.Get(System()).SelfMember;
            return quorum.Refusal is { } refusal
                ? Results.Json(new { status = member.Status == MemberStatus.Up ? "minority" : member.Status.ToString(), reason = refusal }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new { status = "ready", member = member.Address.ToString() });
        });

        string Node() => Cluster.Get(System()).SelfAddress.ToString() is var a ? a[(a.LastIndexOf('@') + 1)..] : "";
        var clients = new Lazy<ClientEndpoint>(() => new ClientEndpoint(
            services.GetRequiredService<ClientAuthenticator>(),
            services.GetRequiredService<State.EdgeStore>(),
            services.GetRequiredService<TimeProvider>(),
            Actor<EdgeStreams>(), Actor<ClientCarriers>(), Node(), services.GetRequiredService<EdgeMetrics>(), services.GetRequiredService<EdgeDrain>(), quorum,
            services.GetRequiredService<ILogger<ClientEndpoint>>()));
        app.MapFallback(context => clients.Value.HandleAsync(context));
    }
}
