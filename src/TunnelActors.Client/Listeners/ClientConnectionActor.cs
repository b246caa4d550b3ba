using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net.Sockets;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.Streams;
using TunnelActors.Client.Hosting;
using TunnelActors.Client.Login;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Stages;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// One local TCP connection (e.g. the SMB client's) joined to one WebSocket to the edge.
/// If the edge refuses, the local connection is closed and the edge's reason logged.
/// </summary>
public sealed class ClientConnectionActor : ReceiveActor
{
    private sealed record EdgeConnected(ClientWebSocket Socket, string StreamId);
    private sealed record EdgeFailed(string Reason);
    private sealed record RelayFinished(RelayResult? Result, string? Error);

    private readonly SocketChannel _local;
    private readonly SharedKillSwitch _killSwitch;
    private readonly ILogger _log = Context.Logger<ClientConnectionActor>();
    private WebSocketChannel? _edge;

    public ClientConnectionActor(Socket local, AccessTcpOptions options, EdgeFailover edges, IClientCredentials credentials)
    {
        _local = SocketChannel.Wrap(local);
        var peer = local.RemoteEndPoint?.ToString() ?? "?";
        _killSwitch = KillSwitches.Shared($"client-{peer}");
        var streamId = "?"; // the edge's id for this stream, from its upgrade response

        Receive<EdgeConnected>(c =>
        {
            _edge = new WebSocketChannel(c.Socket);
            streamId = c.StreamId;
            ClientLog.Connected(_log, peer, options.Hostname, streamId);
            ByteRelay.RunAsync(_local, _edge, Context.Materializer(), _killSwitch)
                .PipeTo(Self, success: r => new RelayFinished(r, null), failure: e => new RelayFinished(null, e.GetBaseException().Message));
        });
        Receive<EdgeFailed>(f =>
        {
            ClientLog.Refused(_log, peer, options.Hostname, f.Reason);
            Context.Stop(Self);
        });
        Receive<RelayFinished>(f =>
        {
            // The edge names why it ended a stream (revoked, closed by an operator) in its Close frame.
            if (_edge?.PeerCloseReason is { Length: > 0 } why) ClientLog.EndedByEdge(_log, peer, options.Hostname, streamId, why);
            else if (f.Result is { } r) ClientLog.Closed(_log, peer, streamId, r.AToB, r.BToA);
            else ClientLog.Aborted(_log, peer, options.Hostname, streamId, f.Error);
            Context.Stop(Self);
        });

        DialAsync(edges, options.Hostname, credentials)
            .PipeTo(Self, success: c => new EdgeConnected(c.Socket, c.Headers.TryGetValue(EdgeDialer.StreamIdHeader, out var id) ? string.Join("", id) : "?"),
                failure: e => new EdgeFailed(e.GetBaseException().Message));
    }

    protected override void PostStop()
    {
        _killSwitch.Abort(new IOException("client connection stopped"));
        _local.Dispose();
        _edge?.Dispose();
    }

    private static async Task<(ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers)> DialAsync(
        EdgeFailover edges, string hostname, IClientCredentials credentials)
    {
        var headers = await credentials.GetHeadersAsync(CancellationToken.None);
        return await edges.ConnectAsync("/", hostname, headers, CancellationToken.None);
    }
}
