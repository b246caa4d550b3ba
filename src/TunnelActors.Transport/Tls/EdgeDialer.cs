using System.Net.Sockets;
using System.Net.Http;
using System.Net.WebSockets;

namespace TunnelActors.Transport.Tls;

/// <summary>An edge refused or failed a WebSocket upgrade; the message carries the edge's reason.</summary>
public sealed class EdgeRefusedException(int status, string reason) : Exception($"edge answered {status}: {reason}")
{
    public int Status { get; } = status;
    public string Reason { get; } = reason;

    /// <summary>503: the edge is alive but cannot serve now (draining, on a partition's minority side, not joined yet): try another edge, or this one again within seconds.</summary>
    public bool EdgeAliveButUnavailable => Status == 503;
}

/// <summary>
/// Opens WebSockets to the edge for connectors and clients alike: TLS trust from `--ca-file`,
/// an optional Host override (when `--edge` is an address rather than the app hostname),
/// extra headers, a connect timeout, and errors that quote the edge's refusal reason. Its sockets
/// read ahead (<see cref="ReadAheadStream"/>) under TLS.
/// </summary>
public sealed class EdgeDialer
{
    public const string ErrorHeader = "Tunnel-Error";

    private readonly HttpMessageInvoker _invoker;
    private readonly TimeSpan _connectTimeout;

    public EdgeDialer(Uri edge, string? caFile, TimeSpan connectTimeout)
    {
        (Edge, _connectTimeout) = (edge, connectTimeout);
        var handler = EdgeTrust.HttpHandler(caFile);
        handler.ConnectCallback = ConnectAsync;
        _invoker = new HttpMessageInvoker(handler);
    }

    public Uri Edge { get; }

    /// <summary>The edge's id for a client stream, in the upgrade response: what the edge and the connector log it as.</summary>
    public const string StreamIdHeader = "Tunnel-Stream-Id";

    public async Task<(ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers)> ConnectAsync(
        string path, string? hostHeader, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        if (hostHeader is not null && !string.Equals(hostHeader, Edge.Host, StringComparison.OrdinalIgnoreCase))
            socket.Options.SetRequestHeader("Host", hostHeader);
        foreach (var (name, value) in headers) socket.Options.SetRequestHeader(name, value);

        var uri = new UriBuilder(Edge) { Scheme = Edge.Scheme == "http" ? "ws" : "wss", Path = path }.Uri;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            await socket.ConnectAsync(uri, _invoker, timeout.Token);
            var responseHeaders = socket.HttpResponseHeaders ?? new Dictionary<string, IEnumerable<string>>();
            socket.HttpResponseHeaders = null;
            return (socket, responseHeaders);
        }
        catch (Exception e)
        {
            var status = (int)socket.HttpStatusCode;
            var reason = socket.HttpResponseHeaders?.TryGetValue(ErrorHeader, out var values) == true ? string.Join(" ", values) : null;
            socket.Dispose();
            if (status != 0 && status != 101) throw new EdgeRefusedException(status, reason ?? "no reason given");
            if (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                throw new TimeoutException($"no answer from {uri} within {_connectTimeout.TotalSeconds:0} s");
            throw new IOException($"cannot reach edge {uri}: {e.GetBaseException().Message}", e);
        }
    }

    /// <summary>
    /// Does the edge take new streams (its /ready answers 200 within <paramref name="timeout"/>)? A frozen edge, whose
    /// kernel still accepts TCP, does not answer; a draining one or one on the minority side of a partition answers 503.
    /// </summary>
    public async Task<bool> ReadyAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Edge, "/ready"));
            using var response = await _invoker.SendAsync(request, cancel.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { return false; }
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new ReadAheadStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
