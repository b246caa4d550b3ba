using System.Security.Cryptography.X509Certificates;
using System.CommandLine;
using TunnelActors.Access;
using TunnelActors.Client.Login;
using TunnelActors.Origin.Hosting;

namespace TunnelActors.Cli.Commands;

/// <summary>`tunnelactors tunnel --hostname H --url tcp://host:port`: the origin connector.</summary>
public static class TunnelCommand
{
    public static Command Create()
    {
        var hostname = CommonOptions.Hostname("Hostname users reach the service at, inside your origin certificate's zone");
        var url = new Option<string>("--url") { Description = "Local service to expose, tcp://host:port", Required = true };
        var edge = CommonOptions.Edges("the HA connections are spread over them");
        var caFile = CommonOptions.CaFile();
        var originCert = new Option<string>("--origincert")
        {
            Description = "Origin certificate and key for the hostname's zone",
            DefaultValueFactory = _ => DefaultOriginCert,
        };
        var ha = new Option<int>("--ha-connections") { Description = "Outbound connections to keep open to the edge", DefaultValueFactory = _ => 4 };
        var metrics = new Option<string>("--metrics") { Description = "host:port for /ready and /metrics", DefaultValueFactory = _ => "127.0.0.1:0" };
        var grace = new Option<string>("--grace-period") { Description = "On SIGTERM, time open streams get to finish", DefaultValueFactory = _ => "30s" };
        var replica = new Option<string?>("--replica-id") { Description = "Id of this connector replica (default: generated)" };

        var command = new Command("tunnel", "Connect a local TCP service to the edge (outbound connections only)")
        {
            hostname, url, edge, caFile, originCert, ha, metrics, grace, replica,
        };
        command.Subcommands.Add(CreateLogin());
        command.Subcommands.Add(CreateRevokeCert());
        foreach (var named in NamedTunnelCommands.Create()) command.Subcommands.Add(named);
        command.SetAction(async (result, _) =>
        {
            var host = result.GetValue(hostname)!.ToLowerInvariant();
            var (firstEdge, otherEdges) = CommonOptions.EdgeUris(result.GetValue(edge), host);
            var options = new ConnectorOptions
            {
                Hostname = host,
                Ingress = TunnelActors.Origin.Ingress.IngressRules.Single(ParseOrigin(result.GetValue(url)!)),
                Edge = firstEdge,
                OtherEdges = otherEdges,
                CaFile = result.GetValue(caFile),
                OriginCertificate = result.GetValue(originCert)!,
                HaConnections = result.GetValue(ha) is var n and >= 1 and <= 64 ? n : throw new ArgumentException("--ha-connections must be between 1 and 64"),
                MetricsAddress = result.GetValue(metrics)!,
                GracePeriod = Durations.Parse(result.GetValue(grace)!),
                ReplicaId = result.GetValue(replica) ?? Guid.NewGuid().ToString("N")[..12],
            };
            if (!File.Exists(options.OriginCertificate))
                throw new ArgumentException($"origin certificate {options.OriginCertificate} not found: pass --origincert (the embedded edge writes data/cert.pem)");
            await ConnectorHost.Build(options).RunAsync();
            return Environment.ExitCode; // 1 when an essential actor stopped (RoleSentinel): the service manager restarts it
        });
        return command;
    }

    /// <summary>`tunnel login`: sign in to the edge, pick a zone, store its origin certificate as ~/.tunnelactors/cert.pem.</summary>
    private static Command CreateLogin()
    {
        var edge = new Option<string>("--edge") { Description = "Edge URL", DefaultValueFactory = _ => "https://127.0.0.1:8443" };
        var caFile = CommonOptions.CaFile();
        var noBrowser = new Option<bool>("--no-browser") { Description = "Print the sign-in URL instead of opening a browser" };
        var output = new Option<string>("--origincert") { Description = "Where to store the origin certificate", DefaultValueFactory = _ => DefaultOriginCert };
        var command = new Command("login", "Sign in to the edge in the browser, choose a zone, and store its origin certificate (0600)")
        {
            edge, caFile, noBrowser, output,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var edgeUri = CommonOptions.EdgeUri(result.GetValue(edge), "edge");
            var login = new AccessLogin(edgeUri, result.GetValue(caFile), new TokenCache(TokenCache.DefaultDirectory, TimeProvider.System), Console.Out);
            var pem = await login.OriginCertificateAsync(!result.GetValue(noBrowser), cancellationToken);
            var path = result.GetValue(output)!;
            SecretFile.Write(path, pem);
            Console.WriteLine($"Origin certificate saved to {path}; connectors started with it may serve hostnames in its zone.");
            return 0;
        });
        return command;
    }

    /// <summary>`tunnel revoke-cert`: an operator revokes a lost or leaked origin certificate (admin API, admin token from a file).</summary>
    private static Command CreateRevokeCert()
    {
        var certificate = new Option<string?>("--origincert") { Description = "The origin certificate (PEM) to revoke" };
        var serial = new Option<string?>("--serial") { Description = "Or its serial number (hex), as GET /api/origin-certificates lists it" };
        var reason = new Option<string>("--reason") { Description = "Why, for the audit log", DefaultValueFactory = _ => "revoked by an operator" };
        var admin = new AdminClient();
        var command = admin.AddTo(new Command("revoke-cert", "Revoke an origin certificate: every edge refuses it from now on") { certificate, serial, reason });
        command.SetAction(async (result, cancellationToken) =>
        {
            var number = result.GetValue(serial) ?? (result.GetValue(certificate) is { } path
                ? X509Certificate2.CreateFromPem(File.ReadAllText(path)).SerialNumber
                : throw new ArgumentException("name the certificate: --origincert FILE or --serial HEX"));
            using var http = admin.Create(result);
            await AdminClient.SendAsync(http, HttpMethod.Post,
                $"/api/origin-certificates/{Uri.EscapeDataString(number)}/revoke?reason={Uri.EscapeDataString(result.GetValue(reason)!)}", null, cancellationToken);
            Console.WriteLine($"Origin certificate {number} revoked; connectors using it are refused at their next registration.");
            return 0;
        });
        return command;
    }

    private static string DefaultOriginCert => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".tunnelactors", "cert.pem");

    private static Uri ParseOrigin(string url)
    {
        if (!url.Contains("://", StringComparison.Ordinal)) url = "tcp://" + url;
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == "tcp" && uri.Port > 0
            ? uri
            : throw new ArgumentException($"--url '{url}' is not tcp://host:port");
    }
}
