using System.CommandLine;
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
        var seeds = new Option<string[]>("--seed-node") { Description = "Seed node address (akka.tcp://tunnelactors@host:port); repeat for several", AllowMultipleArgumentsPerToken = true };

        var command = new Command("edge", "Run an edge node: HTTPS/WebSocket front for clients and connectors, Akka cluster member")
        {
            listen, dataDir, zone, config, clusterPort, clusterHost, seeds,
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
                ConfigFile = result.GetValue(config),
            };
            await EdgeHost.Build(options).RunAsync();
            return 0;
        });
        return command;
    }
}
