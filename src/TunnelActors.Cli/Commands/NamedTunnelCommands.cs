using System.CommandLine;
using System.Text.Json;
using TunnelActors.Access;
using TunnelActors.Access.Certificates;
using TunnelActors.Client.Tunnels;
using TunnelActors.Origin.Hosting;
using TunnelActors.Origin.Ingress;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// cloudflared's named-tunnel verbs: `tunnel create NAME`, `tunnel route dns NAME HOSTNAME`,
/// `tunnel list`, `tunnel info NAME`, `tunnel delete NAME`, `tunnel run [NAME] --config FILE`
/// and `tunnel ingress validate`. Management calls are signed with the zone's origin certificate.
/// </summary>
public static class NamedTunnelCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return CreateCommand();
        yield return RouteCommand();
        yield return ListCommand();
        yield return InfoCommand();
        yield return DeleteCommand();
        yield return RunCommand();
        yield return IngressCommand();
    }

    private sealed record ApiOptions(Option<string> Edge, Option<string?> CaFile, Option<string> OriginCert)
    {
        public static ApiOptions New() => new(
            new Option<string>("--edge") { Description = "Edge URL", DefaultValueFactory = _ => "https://127.0.0.1:8443" },
            CommonOptions.CaFile(),
            new Option<string>("--origincert") { Description = "Origin certificate of the zone (from `tunnel login`)", DefaultValueFactory = _ => DefaultOriginCert });

        public void AddTo(Command command)
        {
            command.Options.Add(Edge);
            command.Options.Add(CaFile);
            command.Options.Add(OriginCert);
        }

        public TunnelApiClient Client(ParseResult result)
        {
            var path = result.GetValue(OriginCert)!;
            if (!File.Exists(path)) throw new ArgumentException($"origin certificate {path} not found: run `tunnelactors tunnel login` or pass --origincert");
            return new TunnelApiClient(CommonOptions.EdgeUri(result.GetValue(Edge), "edge"), result.GetValue(CaFile), Pem.LoadWithPrivateKey(path), TimeProvider.System);
        }
    }

    private static Command CreateCommand()
    {
        var name = new Argument<string>("NAME") { Description = "Name of the new tunnel (unique in your zone)" };
        var output = new Option<string?>("--credentials-file") { Description = "Where to write the credentials (default ~/.tunnelactors/<TUNNEL-ID>.json, 0600)" };
        var api = ApiOptions.New();
        var command = new Command("create", "Create a named tunnel and write its credentials file") { name, output };
        api.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var created = await api.Client(result).CreateAsync(result.GetValue(name)!, cancellationToken);
            var credentials = new TunnelCredentials(created.GetProperty("zone").GetString()!, created.GetProperty("id").GetString()!,
                created.GetProperty("name").GetString()!, created.GetProperty("secret").GetString()!);
            var path = result.GetValue(output) ?? TunnelCredentials.DefaultPath(credentials.TunnelID);
            credentials.Write(path);
            Console.WriteLine($"Tunnel credentials written to {path}. Keep this file secret: it runs the tunnel.");
            Console.WriteLine($"Created tunnel {credentials.TunnelName} with id {credentials.TunnelID}");
            return 0;
        });
        return command;
    }

    private static Command RouteCommand()
    {
        var tunnel = new Argument<string>("TUNNEL") { Description = "Tunnel name or id" };
        var hostname = new Argument<string>("HOSTNAME") { Description = "Hostname to route to the tunnel (inside your zone)" };
        var overwrite = new Option<bool>("--overwrite-dns") { Description = "Move the hostname even if it is routed to another tunnel" };
        var api = ApiOptions.New();
        var dns = new Command("dns", "Route a hostname to a tunnel") { tunnel, hostname, overwrite };
        api.AddTo(dns);
        dns.SetAction(async (result, cancellationToken) =>
        {
            var routed = await api.Client(result).RouteAsync(result.GetValue(tunnel)!, result.GetValue(hostname)!, result.GetValue(overwrite), cancellationToken);
            Console.WriteLine($"{routed.GetProperty("hostname").GetString()} is routed to tunnel {routed.GetProperty("name").GetString()} ({routed.GetProperty("tunnel").GetString()})");
            return 0;
        });
        return new Command("route", "Route traffic to a tunnel") { dns };
    }

    private static Command ListCommand()
    {
        var json = new Option<bool>("--output-json") { Description = "Print the edge's JSON answer" };
        var api = ApiOptions.New();
        var command = new Command("list", "List the named tunnels of your zone") { json };
        api.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var answer = await api.Client(result).ListAsync(cancellationToken);
            if (result.GetValue(json)) { Console.WriteLine(answer.GetRawText()); return 0; }
            Console.WriteLine($"{"ID",-36}  {"NAME",-20}  {"CREATED",-20}  {"CONNECTIONS",11}  HOSTNAMES");
            foreach (var t in answer.GetProperty("tunnels").EnumerateArray())
                Console.WriteLine($"{t.GetProperty("id").GetString(),-36}  {t.GetProperty("name").GetString(),-20}  " +
                    $"{t.GetProperty("created_at").GetDateTimeOffset():yyyy-MM-dd HH:mm:ss}  {t.GetProperty("connections").GetInt32(),11}  " +
                    string.Join(",", t.GetProperty("hostnames").EnumerateArray().Select(h => h.GetString())));
            return 0;
        });
        return command;
    }

    private static Command InfoCommand()
    {
        var tunnel = new Argument<string>("TUNNEL") { Description = "Tunnel name or id" };
        var json = new Option<bool>("--output-json") { Description = "Print the edge's JSON answer" };
        var api = ApiOptions.New();
        var command = new Command("info", "Show a tunnel's connector replicas and their connections") { tunnel, json };
        api.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var info = await api.Client(result).InfoAsync(result.GetValue(tunnel)!, cancellationToken);
            if (result.GetValue(json)) { Console.WriteLine(info.GetRawText()); return 0; }
            Console.WriteLine($"NAME:     {info.GetProperty("name").GetString()}");
            Console.WriteLine($"ID:       {info.GetProperty("id").GetString()}");
            Console.WriteLine($"HOSTNAMES: {string.Join(", ", info.GetProperty("hostnames").EnumerateArray().Select(h => h.GetString()))}");
            var connections = info.GetProperty("connections").EnumerateArray().ToList();
            if (connections.Count == 0) { Console.WriteLine("No active connections: start it with `tunnelactors tunnel run`."); return 0; }
            Console.WriteLine($"{"REPLICA",-14}  {"CONNECTION",-24}  {"EDGE NODE",-40}  {"AGE",8}  STREAMS");
            foreach (var replica in connections.GroupBy(c => c.GetProperty("replica").GetString()))
                foreach (var c in replica)
                    Console.WriteLine($"{replica.Key,-14}  {c.GetProperty("id").GetString(),-24}  {c.GetProperty("edge_node").GetString(),-40}  " +
                        $"{(c.TryGetProperty("age_seconds", out var age) ? age.GetInt32() + " s" : "?"),8}  " +
                        $"{(c.TryGetProperty("streams", out var streams) ? streams.GetArrayLength() : 0)}");
            return 0;
        });
        return command;
    }

    private static Command DeleteCommand()
    {
        var tunnel = new Argument<string>("TUNNEL") { Description = "Tunnel name or id" };
        var force = new Option<bool>("--force", "-f") { Description = "Delete even with live connections (they are closed)" };
        var api = ApiOptions.New();
        var command = new Command("delete", "Delete a named tunnel and its routes") { tunnel, force };
        api.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var deleted = await api.Client(result).DeleteAsync(result.GetValue(tunnel)!, result.GetValue(force), cancellationToken);
            Console.WriteLine($"Deleted tunnel {deleted.GetProperty("name").GetString()} ({deleted.GetProperty("deleted").GetString()})" +
                (deleted.GetProperty("closed_connections").GetInt32() is > 0 and var n ? $"; closed {n} live connections" : ""));
            return 0;
        });
        return command;
    }

    private static Command RunCommand()
    {
        var tunnel = new Argument<string?>("TUNNEL") { Description = "Tunnel name or id (default: `tunnel:` in the config)", Arity = ArgumentArity.ZeroOrOne };
        var config = new Option<string>("--config") { Description = "Configuration with `tunnel`, `credentials-file` and `ingress` rules", DefaultValueFactory = _ => DefaultConfig };
        var edge = CommonOptions.Edges("the HA connections are spread over them (default: `edge:` in the config)");
        var caFile = CommonOptions.CaFile();
        var credentialsFile = new Option<string?>("--credentials-file") { Description = "Credentials of the tunnel (default: the config's, or ~/.tunnelactors/<TUNNEL-ID>.json)" };
        var ha = new Option<int?>("--ha-connections") { Description = "Outbound connections to keep open (default 4)" };
        var metrics = new Option<string>("--metrics") { Description = "host:port for /ready and /metrics", DefaultValueFactory = _ => "127.0.0.1:0" };
        var grace = new Option<string>("--grace-period") { Description = "On SIGTERM, time open streams get to finish", DefaultValueFactory = _ => "30s" };
        var replica = new Option<string?>("--replica-id") { Description = "Id of this connector replica (default: generated)" };
        var command = new Command("run", "Run a named tunnel: its ingress rules send each hostname to its service")
        {
            tunnel, config, edge, caFile, credentialsFile, ha, metrics, grace, replica,
        };
        command.SetAction(async (result, _) =>
        {
            var file = TunnelConfig.Load(result.GetValue(config)!);
            var credentials = TunnelCredentials.Load(result.GetValue(credentialsFile) ?? file.CredentialsFile ?? TunnelCredentials.DefaultPath(file.Tunnel));
            var name = result.GetValue(tunnel) ?? file.Tunnel;
            if (name != credentials.TunnelID && name != credentials.TunnelName)
                throw new ArgumentException($"the credentials file is for tunnel {credentials.TunnelName} ({credentials.TunnelID}), not {name}");
            var edges = result.GetValue(edge) is { Length: > 0 } flags ? flags : file.Edges.ToArray();
            if (edges.Length == 0) throw new ArgumentException("no edge: pass --edge or set `edge:` in the config");
            var (first, others) = CommonOptions.EdgeUris(edges, "edge");
            await ConnectorHost.Build(new ConnectorOptions
            {
                Hostname = credentials.TunnelName,
                Ingress = file.Ingress,
                Credentials = credentials,
                Edge = first,
                OtherEdges = others,
                CaFile = result.GetValue(caFile) ?? file.CaFile,
                HaConnections = result.GetValue(ha) ?? file.HaConnections ?? 4,
                MetricsAddress = result.GetValue(metrics)!,
                GracePeriod = Durations.Parse(result.GetValue(grace)!),
                ReplicaId = result.GetValue(replica) ?? Guid.NewGuid().ToString("N")[..12],
            }).RunAsync();
            return Environment.ExitCode; // 1 when an essential actor stopped (RoleSentinel): the service manager restarts it
        });
        return command;
    }

    private static Command IngressCommand()
    {
        var config = new Option<string>("--config") { Description = "Configuration to check", DefaultValueFactory = _ => DefaultConfig };
        var validate = new Command("validate", "Check a configuration's ingress rules; prints the line and reason of the first problem") { config };
        validate.SetAction(result =>
        {
            var file = TunnelConfig.Load(result.GetValue(config)!);
            foreach (var rule in file.Ingress.Rules) Console.WriteLine($"  {rule.Hostname ?? "*",-32} -> {rule.Describe()}");
            Console.WriteLine("OK");
            return 0;
        });
        var hostname = new Argument<string>("HOSTNAME") { Description = "Hostname to look up" };
        var ruleCommand = new Command("rule", "Show which ingress rule serves a hostname") { hostname, config };
        ruleCommand.SetAction(result =>
        {
            var rule = TunnelConfig.Load(result.GetValue(config)!).Ingress.Match(result.GetValue(hostname)!);
            Console.WriteLine($"Matched rule at line {rule.Line}: {rule.Hostname ?? "(catch-all)"} -> {rule.Describe()}");
            return 0;
        });
        return new Command("ingress", "Validate and inspect ingress rules") { validate, ruleCommand };
    }

    private static string DefaultOriginCert => Path.Combine(TunnelCredentials.DefaultDirectory, "cert.pem");
    private static string DefaultConfig => Path.Combine(TunnelCredentials.DefaultDirectory, "config.yml");
}
