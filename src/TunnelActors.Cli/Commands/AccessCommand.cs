using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Hosting;
using TunnelActors.Client.Hosting;

namespace TunnelActors.Cli.Commands;

/// <summary>`tunnelactors access tcp`: a local port that reaches an application through the edge.</summary>
public static class AccessCommand
{
    public static Command Create()
    {
        var access = new Command("access", "Reach applications protected by the edge");
        access.Subcommands.Add(CreateTcp());
        return access;
    }

    private static Command CreateTcp()
    {
        var hostname = CommonOptions.Hostname("Application hostname, e.g. smb.site.com");
        var url = new Option<string>("--url") { Description = "Local address to listen on, e.g. localhost:8445", Required = true };
        var edge = CommonOptions.Edge();
        var caFile = CommonOptions.CaFile();
        var tokenId = new Option<string?>("--service-token-id") { Description = "Service token client id (or TUNNEL_SERVICE_TOKEN_ID)" };
        var tokenSecret = new Option<string?>("--service-token-secret") { Description = "Service token secret (or TUNNEL_SERVICE_TOKEN_SECRET)" };

        var command = new Command("tcp", "Listen on a local port; each connection is carried to the application through the edge")
        {
            hostname, url, edge, caFile, tokenId, tokenSecret,
        };
        command.SetAction(async (result, _) =>
        {
            var host = result.GetValue(hostname)!.ToLowerInvariant();
            var options = new AccessTcpOptions
            {
                Hostname = host,
                Listen = ParseListen(result.GetValue(url)!),
                Edge = CommonOptions.EdgeUri(result.GetValue(edge), host),
                CaFile = result.GetValue(caFile),
                ServiceTokenId = result.GetValue(tokenId) ?? Environment.GetEnvironmentVariable("TUNNEL_SERVICE_TOKEN_ID"),
                ServiceTokenSecret = result.GetValue(tokenSecret) ?? Environment.GetEnvironmentVariable("TUNNEL_SERVICE_TOKEN_SECRET"),
            };
            await AccessTcpHost.Build(options).RunAsync();
            return 0;
        });
        return command;
    }

    private static IPEndPoint ParseListen(string url)
    {
        var text = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        text = text.Replace("localhost", "127.0.0.1", StringComparison.OrdinalIgnoreCase);
        return IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port > 0
            ? endpoint
            : throw new ArgumentException($"--url '{url}' is not host:port (example: localhost:8445)");
    }
}
