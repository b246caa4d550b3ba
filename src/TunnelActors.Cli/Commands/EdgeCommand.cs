using System.CommandLine;
using TunnelActors.Access.Login;
using TunnelActors.Edge.Hosting;

namespace TunnelActors.Cli.Commands;

/// <summary>`tunnelactors edge`: one edge node; with no flags, the embedded single-node default.</summary>
public static class EdgeCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "HTTPS address to serve clients and connectors on", DefaultValueFactory = _ => "https://127.0.0.1:8443" };
        var dataDir = new Option<string>("--data-dir") { Description = "Directory for certificates, tokens and the SQLite state", DefaultValueFactory = _ => "./data" };
        var zone = new Option<string>("--dev-zone") { Description = "Zone of the origin certificate written on first start", DefaultValueFactory = _ => "site.test" };
        var clusterPort = new Option<int>("--cluster-port") { Description = "Akka remoting port (0 = any free port; fixed when joining other edges)" };
        var clusterHost = new Option<string>("--cluster-host") { Description = "Address other edges reach this node at", DefaultValueFactory = _ => "127.0.0.1" };
        var config = new Option<string?>("--config") { Description = "Edge configuration (YAML, `applications:` with Access policies; reloaded on change). Default: embedded dev policies" };
        var oidcIssuer = new Option<string?>("--oidc-issuer") { Description = "OpenID Connect issuer URL of your SSO provider (enables single sign-on)" };
        var oidcClientId = new Option<string?>("--oidc-client-id") { Description = "OIDC client id registered for this edge (redirect URI: <edge>/cdn-cgi/access/oidc/callback)" };
        var oidcSecret = new Option<string?>("--oidc-client-secret") { Description = "OIDC client secret; prefer --oidc-client-secret-file or TUNNEL_OIDC_CLIENT_SECRET (a flag shows in ps)" };
        var oidcSecretFile = new Option<string?>("--oidc-client-secret-file") { Description = "File (0600) holding the OIDC client secret" };
        var allowUnverified = new Option<bool>("--oidc-allow-unverified-email") { Description = "Accept id_tokens without email_verified=true (only for an IdP that never sends the claim)" };
        var originLifetime = new Option<string>("--origin-cert-lifetime") { Description = "Lifetime of origin certificates issued by `tunnel login` and of the dev cert.pem", DefaultValueFactory = _ => "8760h" };
        var oidcGroups = new Option<string>("--oidc-groups-claim") { Description = "id_token claim holding the user's groups", DefaultValueFactory = _ => "groups" };
        var smtp = new Option<string?>("--otp-smtp") { Description = "host:port of the SMTP relay that mails one-time PINs (default: PINs go to the edge log)" };
        var smtpFrom = new Option<string>("--otp-from") { Description = "Sender address of one-time PIN mails", DefaultValueFactory = _ => "access@localhost" };
        var metrics = new Option<string?>("--metrics") { Description = "host:port serving Prometheus /metrics over plain HTTP (e.g. 127.0.0.1:20240); off by default" };
        var database = new Option<string?>("--database") { Description = "Control-plane database shared by the edges of a cluster: postgres://user@host:port/db (or TUNNEL_DATABASE); keep the password out of the command line: PGPASSWORD or ~/.pgpass. Default: SQLite in --data-dir" };
        var detectorPause = new Option<string>("--failure-detector-pause") { Description = "How long a silent edge is tolerated before it counts as unreachable", DefaultValueFactory = _ => "3s" };
        var stableAfter = new Option<string>("--down-unreachable-after") { Description = "How long unreachability must be stable before the majority downs the silent edges (split-brain resolver)", DefaultValueFactory = _ => "15s" };
        var recheck = new Option<string>("--stream-recheck-interval") { Description = "How often a live stream checks its credential and policies again (catches a revocation this edge missed)", DefaultValueFactory = _ => "30s" };
        var grace = new Option<string>("--grace-period") { Description = "On SIGTERM, time open streams get to finish (connectors move to other edges first)", DefaultValueFactory = _ => "30s" };
        var seeds = new Option<string[]>("--seed-node") { Description = "Seed node address (akka.tcp://tunnelactors@host:port); repeat for several", AllowMultipleArgumentsPerToken = true };

        var command = new Command("edge", "Run an edge node: HTTPS/WebSocket front for clients and connectors, Akka cluster member")
        {
            listen, dataDir, zone, config, oidcIssuer, oidcClientId, oidcSecret, oidcSecretFile, allowUnverified, originLifetime, oidcGroups, smtp, smtpFrom, metrics, database, clusterPort, clusterHost, seeds, detectorPause, stableAfter, recheck, grace,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var listenText = result.GetValue(listen)!;
            if (!listenText.Contains("://", StringComparison.Ordinal)) listenText = "https://" + listenText;
            if (!Uri.TryCreate(listenText, UriKind.Absolute, out var listenUri) || listenUri.Scheme != "https")
                throw new ArgumentException($"--listen '{result.GetValue(listen)}' is not an https://host:port address");
            var options = new EdgeOptions
            {
                Listen = listenUri,
                DataDirectory = result.GetValue(dataDir)!,
                DevZone = result.GetValue(zone)!.ToLowerInvariant(),
                ClusterPort = result.GetValue(clusterPort),
                ClusterHost = result.GetValue(clusterHost)!,
                SeedNodes = result.GetValue(seeds) ?? [],
                Database = result.GetValue(database) ?? Environment.GetEnvironmentVariable("TUNNEL_DATABASE"),
                GracePeriod = TunnelActors.Access.Durations.Parse(result.GetValue(grace)!),
                FailureDetectorPause = TunnelActors.Access.Durations.Parse(result.GetValue(detectorPause)!),
                DownUnreachableAfter = TunnelActors.Access.Durations.Parse(result.GetValue(stableAfter)!),
                StreamRecheckInterval = TunnelActors.Access.Durations.Parse(result.GetValue(recheck)!),
                ConfigFile = result.GetValue(config),
                MetricsAddress = result.GetValue(metrics) is { } address ? TunnelActors.Origin.Hosting.ConnectorHost.ParseEndpoint(address) : null,
                Oidc = Oidc(result.GetValue(oidcIssuer), result.GetValue(oidcClientId),
                    CommonOptions.Secret(result.GetValue(oidcSecret), "--oidc-client-secret", result.GetValue(oidcSecretFile), "TUNNEL_OIDC_CLIENT_SECRET"),
                    result.GetValue(oidcGroups)!) is { } sso ? sso with { RequireVerifiedEmail = !result.GetValue(allowUnverified) } : null,
                OriginCertificateLifetime = TunnelActors.Access.Durations.Parse(result.GetValue(originLifetime)!),
                Smtp = result.GetValue(smtp) is { } relay ? Smtp(relay, result.GetValue(smtpFrom)!) : null,
            };
            // Each recheck reads the database once per live stream: not more often than every second.
            if (options.StreamRecheckInterval < TimeSpan.FromSeconds(1) || options.StreamRecheckInterval > TimeSpan.FromDays(1))
                throw new ArgumentException($"--stream-recheck-interval {result.GetValue(recheck)} is outside 1s..24h");
            await EdgeHost.Build(options).RunAsync();
            // Non-zero when the edge had to stop (downed by the cluster, or RoleSentinel): the service manager restarts it.
            return DownedExit.Downed ? DownedExit.ExitCode : Environment.ExitCode;
        });
        return command;
    }

    private static OidcOptions? Oidc(string? issuer, string? clientId, string? secret, string groupsClaim)
    {
        if (issuer is null && clientId is null) return null;
        if (issuer is null || clientId is null || string.IsNullOrEmpty(secret))
            throw new ArgumentException("single sign-on needs --oidc-issuer, --oidc-client-id and --oidc-client-secret (or TUNNEL_OIDC_CLIENT_SECRET)");
        return Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? new OidcOptions(uri, clientId, secret, groupsClaim)
            : throw new ArgumentException($"--oidc-issuer '{issuer}' is not an http(s) URL");
    }

    private static SmtpOptions Smtp(string relay, string from)
    {
        var parts = relay.Split(':');
        return parts.Length == 2 && int.TryParse(parts[1], out var port)
            ? new SmtpOptions(parts[0], port, from)
            : throw new ArgumentException($"--otp-smtp '{relay}' is not host:port");
    }
}
