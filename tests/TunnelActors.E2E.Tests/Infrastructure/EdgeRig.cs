using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using TunnelActors.Transport.Tls;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>
/// A real edge process in its own data directory, plus helpers to start connectors and
/// access clients against it and to talk to it directly (HTTP, raw client WebSockets).
/// </summary>
public sealed class EdgeRig : IAsyncDisposable
{
    private readonly List<CliProcess> _processes = new();

    private EdgeRig(string dataDir, int port, CliProcess edge)
    {
        (DataDir, Port, Edge) = (dataDir, port, edge);
        _processes.Add(edge);
    }

    public string DataDir { get; }
    public int Port { get; }
    public CliProcess Edge { get; }
    public string Host { get; private init; } = "127.0.0.1";
    public int MetricsPort { get; private init; }

    /// <summary>Akka remoting port when started with --cluster-port (an edge cluster member), else 0.</summary>
    public int ClusterPort { get; private init; }
    public string EdgeUrl => $"https://{Host}:{Port}";
    public string CaFile => Path.Combine(DataDir, "edge-ca.pem");
    public string OriginCert => Path.Combine(DataDir, "cert.pem");

    /// <summary>Starts an edge; with <paramref name="config"/>, that YAML is its --config (Access applications).</summary>
    public static async Task<EdgeRig> StartAsync(string? config = null, string host = "127.0.0.1", int? port = null, params string[] extra)
    {
        var dataDir = Directory.CreateTempSubdirectory("tunnelactors-e2e-").FullName;
        var listenPort = port ?? Ports.Free();
        var metricsPort = Ports.Free();
        string[] args = ["edge", "--listen", $"https://{host}:{listenPort}", "--data-dir", dataDir, "--metrics", $"127.0.0.1:{metricsPort}", .. extra];
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(dataDir, "edge.yaml"), config);
            args = [.. args, "--config", Path.Combine(dataDir, "edge.yaml")];
        }
        var edge = CliProcess.Start("edge", dataDir, args);
        var clusterPort = Array.IndexOf(extra, "--cluster-port") is var i and >= 0 ? int.Parse(extra[i + 1]) : 0;
        var rig = new EdgeRig(dataDir, listenPort, edge) { Host = host, MetricsPort = metricsPort, ClusterPort = clusterPort };
        await rig.WaitReady();
        return rig;
    }

    public (string Id, string Secret) ServiceToken
    {
        get
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDir, "service-token.json")));
            return (json.RootElement.GetProperty("client_id").GetString()!, json.RootElement.GetProperty("client_secret").GetString()!);
        }
    }

    /// <summary>Starts `tunnelactors tunnel` and waits until its /ready reports a registered connection.</summary>
    public async Task<CliProcess> StartTunnel(string hostname, int originPort, int haConnections = 2, string? originCert = null, bool waitReady = true, params string[] extra)
    {
        var metricsPort = Ports.Free();
        var process = CliProcess.Start($"tunnel-{hostname}", DataDir,
            ["tunnel", "--hostname", hostname, "--url", $"tcp://127.0.0.1:{originPort}", "--edge", EdgeUrl, "--ca-file", CaFile,
             "--origincert", originCert ?? OriginCert, "--ha-connections", haConnections.ToString(), "--metrics", $"127.0.0.1:{metricsPort}", .. extra]);
        _processes.Add(process);
        process.MetricsPort = metricsPort;
        if (waitReady) await WaitConnectorReady(process, haConnections);
        return process;
    }

    /// <summary>
    /// Starts `tunnelactors access tcp`: with the dev service token, or with <paramref name="home"/>
    /// as HOME, using the user token cached there; returns it and its local port. With <paramref name="replaceEdge"/>, <paramref name="extra"/> names the edge instead.
    /// </summary>
    public async Task<(CliProcess Process, int Port)> StartAccess(string hostname, string? home = null, string[]? extraEdges = null, string[]? extra = null, bool replaceEdge = false)
    {
        var port = Ports.Free();
        var (id, secret) = ServiceToken;
        var environment = home is null
            ? new Dictionary<string, string> { ["TUNNEL_SERVICE_TOKEN_ID"] = id, ["TUNNEL_SERVICE_TOKEN_SECRET"] = secret }
            : new Dictionary<string, string> { ["HOME"] = home };
        var process = CliProcess.Start($"access-{hostname}", DataDir, environment,
            ["access", "tcp", "--hostname", hostname, "--url", $"127.0.0.1:{port}", .. replaceEdge ? Array.Empty<string>() : ["--edge", EdgeUrl], "--ca-file", CaFile, "--no-browser",
             .. (extraEdges ?? []).SelectMany(e => new[] { "--edge", e }), .. extra ?? []]);
        _processes.Add(process);
        await Ports.WaitListening(port, TimeSpan.FromSeconds(30));
        return (process, port);
    }

    public async Task WaitConnectorReady(CliProcess connector, int connections)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (true)
        {
            try
            {
                var ready = await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{connector.MetricsPort}/ready");
                if (ready.GetProperty("readyConnections").GetInt32() >= connections) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"connector not ready with {connections} connections. Output:\n{connector.Tail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Starts any `tunnelactors` command against this edge, tracked for clean-up.</summary>
    public CliProcess Run(string name, IDictionary<string, string>? environment, params string[] args)
    {
        var process = CliProcess.Start(name, DataDir, environment, args);
        _processes.Add(process);
        return process;
    }

    /// <summary>An HTTP client that trusts this edge's CA (and keeps cookies, like a browser).</summary>
    public HttpClient Http()
    {
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && EdgeTrust.IssuedBy(authority, new X509Certificate2(cert)),
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri(EdgeUrl) };
    }

    /// <summary>
    /// Sends a client WebSocket upgrade for <paramref name="hostname"/> with <paramref name="headers"/>
    /// over plain HTTP, so a refusal's status, Tunnel-Error reason and body can be read.
    /// </summary>
    public async Task<(HttpStatusCode Status, string Reason, string Body)> UpgradeAsync(string hostname, IDictionary<string, string>? headers = null)
    {
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = hostname;
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.Add(name, value);
        using var response = await http.SendAsync(request);
        var reason = response.Headers.TryGetValues("Tunnel-Error", out var values) ? string.Join(" ", values) : "";
        return (response.StatusCode, reason, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The dev service token as the headers cloudflared sends.</summary>
    public Dictionary<string, string> ServiceTokenHeaders(string? secret = null) => new()
    {
        ["Cf-Access-Client-Id"] = ServiceToken.Id,
        ["Cf-Access-Client-Secret"] = secret ?? ServiceToken.Secret,
    };

    /// <summary>A raw `access tcp` carrier WebSocket, as cloudflared opens it.</summary>
    public Task<ClientWebSocket> ConnectClient(string hostname, bool withToken = true, string? path = null, CancellationToken cancellationToken = default) =>
        ConnectClient(hostname, withToken ? ServiceTokenHeaders() : new Dictionary<string, string>(), path, cancellationToken);

    /// <summary>A raw carrier WebSocket sending <paramref name="headers"/> (a service token, Cf-Access-Token, or nothing).</summary>
    public async Task<ClientWebSocket> ConnectClient(string hostname, IDictionary<string, string> headers, string? path = null, CancellationToken cancellationToken = default)
    {
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && EdgeTrust.IssuedBy(authority, new X509Certificate2(cert));
        socket.Options.SetRequestHeader("Host", hostname);
        foreach (var (name, value) in headers) socket.Options.SetRequestHeader(name, value);
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{Port}{path ?? "/"}"), cancellationToken);
        return socket;
    }

    /// <summary>An HTTP client for the admin API (the admin token from the data directory).</summary>
    public HttpClient Admin()
    {
        var http = Http();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(DataDir, "admin-token")).Trim());
        return http;
    }

    private async Task WaitReady()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(CaFile) || !File.Exists(Path.Combine(DataDir, "service-token.json")))
        {
            if (DateTime.UtcNow > deadline || Edge.HasExited) throw new TimeoutException("edge did not initialise its data directory:\n" + Edge.Tail());
            await Task.Delay(100);
        }
        using var http = Http();
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline || Edge.HasExited) throw new TimeoutException("edge not ready:\n" + Edge.Tail());
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes)) await process.DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
