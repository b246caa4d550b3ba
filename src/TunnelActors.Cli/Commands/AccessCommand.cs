using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Hosting;
using TunnelActors.Client.Hosting;
using TunnelActors.Client.Login;

namespace TunnelActors.Cli.Commands;

/// <summary>`tunnelactors access tcp`: a local port that reaches an application through the edge.</summary>
public static class AccessCommand
{
    public static Command Create()
    {
        var access = new Command("access", "Reach applications protected by the edge");
        access.Subcommands.Add(CreateTcp());
        access.Subcommands.Add(CreateLogin());
        access.Subcommands.Add(CreateToken());
        access.Subcommands.Add(CreateLogout());
        access.Subcommands.Add(PolicyCommand.Create());
        access.Subcommands.Add(ServiceTokenCommand.Create());
        return access;
    }

    private static Command CreateTcp()
    {
        var hostname = new Option<string?>("--hostname") { Description = "Application hostname, e.g. smb.site.com (or several in --config)" };
        var url = new Option<string?>("--url") { Description = "Local address to listen on, e.g. localhost:8445" };
        var config = new Option<string?>("--config") { Description = "Serve several applications: a YAML file with `listeners:` of `hostname` and `url` (and optional `edge`, `ca-file`)" };
        var edge = CommonOptions.Edges("an unreachable or draining edge is skipped for the next");
        var caFile = CommonOptions.CaFile();
        var tokenId = new Option<string?>("--service-token-id") { Description = "Service token client id (or TUNNEL_SERVICE_TOKEN_ID)" };
        var tokenSecret = new Option<string?>("--service-token-secret") { Description = "Service token secret; prefer --service-token-secret-file or TUNNEL_SERVICE_TOKEN_SECRET (a flag shows in ps)" };
        var tokenSecretFile = new Option<string?>("--service-token-secret-file") { Description = "File (0600) holding the service token secret" };
        var noBrowser = NoBrowser();
        var maxConnections = new Option<int>("--max-connections") { Description = "Local connections served at once per listener; one more is refused (reset) and logged", DefaultValueFactory = _ => AccessTcpOptions.DefaultMaxConnections };
        var header = new Option<string[]>("--header", "-H") { Description = "A header sent to the edge with every stream, as 'Name: value' (repeatable)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        var destination = new Option<string?>("--destination") { Description = "Destination address for the edge (sent as Cf-Access-Jump-Destination, as cloudflared does)" };
        var carrier = new Option<string>("--carrier") { Description = "mux: every connection is a stream on one connection to the edge (default); websocket: one WebSocket per connection, as cloudflared", DefaultValueFactory = _ => "mux" };
        carrier.AcceptOnlyFromAmong("mux", "websocket");

        var command = new Command("tcp", "Listen on a local port (or, without --url, carry standard input and output, for ssh's ProxyCommand); each connection is carried to the application through the edge. Signs you in through the browser when needed")
        {
            hostname, url, config, edge, caFile, tokenId, tokenSecret, tokenSecretFile, noBrowser, maxConnections, header, destination, carrier,
        };
        // cloudflared's verbs: the same command under the names users know from it.
        command.Aliases.Add("ssh");
        command.Aliases.Add("rdp");
        command.Aliases.Add("smb");
        command.SetAction(async (result, _) =>
        {
            if (result.GetValue(maxConnections) < 1) throw new ArgumentException("--max-connections must be at least 1");
            var extraHeaders = ParseHeaders(result.GetValue(header) ?? []);
            if (result.GetValue(destination) is { Length: > 0 } jump) extraHeaders.Add(new("Cf-Access-Jump-Destination", jump));
            AccessTcpOptions For(string host, string? listen, string[]? edges, string? ca)
            {
                var (first, others) = CommonOptions.EdgeUris(edges, host.ToLowerInvariant());
                return new()
                {
                    Hostname = host.ToLowerInvariant(),
                    Listen = listen is null ? null : ParseListen(listen),
                    ExtraHeaders = extraHeaders,
                    Carrier = result.GetValue(carrier) == "websocket" ? CarrierKind.WebSocket : CarrierKind.Mux,
                    Edge = first,
                    OtherEdges = others,
                    CaFile = ca,
                    ServiceTokenId = result.GetValue(tokenId) ?? Environment.GetEnvironmentVariable("TUNNEL_SERVICE_TOKEN_ID"),
                    ServiceTokenSecret = CommonOptions.Secret(result.GetValue(tokenSecret), "--service-token-secret", result.GetValue(tokenSecretFile), "TUNNEL_SERVICE_TOKEN_SECRET"),
                    OpenBrowser = !result.GetValue(noBrowser),
                    MaxConnections = result.GetValue(maxConnections),
                };
            }

            var edgeFlags = result.GetValue(edge) is { Length: > 0 } flags ? flags : null;
            if (result.GetValue(config) is { } file)
            {
                if (result.GetValue(hostname) is not null || result.GetValue(url) is not null)
                    throw new ArgumentException("pass either --config or --hostname with --url, not both");
                var loaded = AccessTcpConfig.Load(file);
                var edges = edgeFlags ?? (loaded.Edges.Count > 0 ? loaded.Edges.ToArray() : null);
                await AccessTcpHost.Build(loaded.Listeners.Select(l => For(l.Hostname, l.Url, edges, result.GetValue(caFile) ?? loaded.CaFile)).ToList()).RunAsync();
                return Environment.ExitCode; // 1 when an essential actor stopped (RoleSentinel): the service manager restarts it
            }
            var host = result.GetValue(hostname) ?? throw new ArgumentException("--hostname is required (or --config with several applications)");
            // Without --url: standard input and output are the one connection (ssh -o ProxyCommand='tunnelactors access ssh --hostname %h').
            await AccessTcpHost.Build(For(host, result.GetValue(url), edgeFlags, result.GetValue(caFile))).RunAsync();
            return Environment.ExitCode; // 1 when an essential actor stopped (RoleSentinel): the service manager restarts it
        });
        return command;
    }

    private static Command CreateLogin()
    {
        var app = new Argument<string>("url") { Description = "The application, e.g. https://smb.site.com" };
        var edge = CommonOptions.Edge();
        var caFile = CommonOptions.CaFile();
        var noBrowser = NoBrowser();
        var command = new Command("login", "Sign in to an application in the browser and cache its token (~/.tunnelactors/tokens, mode 0600)")
        {
            app, edge, caFile, noBrowser,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var hostname = HostnameOf(result.GetValue(app)!);
            var cache = new TokenCache(TokenCache.DefaultDirectory, TimeProvider.System);
            var login = new AccessLogin(CommonOptions.EdgeUri(result.GetValue(edge), hostname), result.GetValue(caFile), cache, Console.Out);
            await login.LoginAsync(hostname, openBrowser: !result.GetValue(noBrowser), cancellationToken);
            return 0;
        });
        return command;
    }

    private static Command CreateLogout()
    {
        var app = new Argument<string>("url") { Description = "The application, e.g. https://smb.site.com" };
        var edge = CommonOptions.Edge();
        var caFile = CommonOptions.CaFile();
        var command = new Command("logout", "End your session for an application: its token is refused from now on and your open connections to it end")
        {
            app, edge, caFile,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var hostname = HostnameOf(result.GetValue(app)!);
            var cache = new TokenCache(TokenCache.DefaultDirectory, TimeProvider.System);
            if (cache.Get(hostname) is not { } token)
            {
                Console.Error.WriteLine($"Not signed in to {hostname} (no valid cached token).");
                return 1;
            }
            using var http = new HttpClient(TunnelActors.Transport.Tls.EdgeTrust.HttpHandler(result.GetValue(caFile)))
            {
                BaseAddress = CommonOptions.EdgeUri(result.GetValue(edge), hostname),
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/cdn-cgi/access/logout?app={Uri.EscapeDataString(hostname)}");
            request.Headers.Add("Cf-Access-Token", token);
            using var response = await http.SendAsync(request, cancellationToken);
            cache.Remove(hostname); // whatever the edge said, this token is not used again
            var body = (await response.Content.ReadAsStringAsync(cancellationToken)).Trim();
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"The edge refused the sign-out ({(int)response.StatusCode}): {body}; the cached token was removed.");
                return 1;
            }
            Console.WriteLine($"Signed out of {hostname}: the session is revoked on every edge.");
            return 0;
        });
        return command;
    }

    private static Command CreateToken()
    {
        var app = new Option<string>("--app") { Description = "The application, e.g. https://smb.site.com", Required = true };
        var command = new Command("token", "Print the cached token of an application (after `access login`)") { app };
        command.SetAction(result =>
        {
            var hostname = HostnameOf(result.GetValue(app)!);
            var cache = new TokenCache(TokenCache.DefaultDirectory, TimeProvider.System);
            if (cache.Get(hostname) is not { } token)
            {
                Console.Error.WriteLine($"error: no valid token for {hostname}; run `tunnelactors access login https://{hostname}`");
                return 1;
            }
            Console.WriteLine(token);
            return 0;
        });
        return command;
    }

    private static List<KeyValuePair<string, string>> ParseHeaders(IEnumerable<string> values) =>
        values.Select(value => value.IndexOf(':') is var colon and > 0 && value[..colon].Trim() is { Length: > 0 } name
                ? new KeyValuePair<string, string>(name, value[(colon + 1)..].Trim())
                : throw new ArgumentException($"--header '{value}' is not 'Name: value'"))
            .ToList();

    private static Option<bool> NoBrowser() => new("--no-browser") { Description = "Print the sign-in URL instead of opening a browser" };

    private static string HostnameOf(string app)
    {
        var text = app.Contains("://", StringComparison.Ordinal) ? app : "https://" + app;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? uri.Host.ToLowerInvariant()
            : throw new ArgumentException($"'{app}' is not an application URL (example: https://smb.site.com)");
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
