using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net.WebSockets;
using Akka.Actor;
using Akka.Streams;
using TunnelActors.Client.Hosting;
using TunnelActors.Client.Login;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Stages;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// One local connection (the SMB client's socket, or ssh's standard input and output) joined to
/// the edge: as a stream on the shared carrier (<see cref="EdgeCarrierActor"/>), or over its own
/// WebSocket (`--carrier websocket`, an older edge, a full carrier). If the edge refuses, the local
/// connection is reset and the edge's reason logged.
/// </summary>
public sealed class ClientConnectionActor : ReceiveActor
{
    private sealed record Credentials(IReadOnlyList<KeyValuePair<string, string>> Headers);
    private sealed record EdgeConnected(ClientWebSocket Socket, string StreamId);
    private sealed record EdgeFailed(string Reason);
    private sealed record RelayFinished(RelayResult? Result, Exception? Error);

    private readonly IByteChannel _local;
    private RunningRelay? _relay;
    private readonly ILogger _log = Context.Logger<ClientConnectionActor>();
    private readonly string _peer;
    private readonly AccessTcpOptions _options;
    private IByteChannel? _edge;
    private bool _closedCleanly;
    private readonly StreamHandoff _handoff = new();
    private string _streamId = "?"; // the edge's id for a WebSocket stream; carrier and stream number on a carrier

    public ClientConnectionActor(IByteChannel local, string peer, AccessTcpOptions options, EdgeFailover edges, IClientCredentials credentials, IActorRef? carrier)
    {
        (_local, _peer, _options) = (local, peer, options);
        IReadOnlyList<KeyValuePair<string, string>> headers = [];

        Receive<Credentials>(c =>
        {
            headers = [.. c.Headers, .. options.ExtraHeaders];
            if (carrier is not null) carrier.Tell(new OpenCarrierStream(options.Hostname, headers, _handoff));
            else Dial(edges, headers);
        });
        Receive<CarrierStreamOpened>(opened => Relay(opened.Stream, opened.StreamId));
        Receive<CarrierUnavailable>(unavailable =>
        {
            if (unavailable.UseWebSocket) Dial(edges, headers);
            else Self.Tell(new EdgeFailed(unavailable.Reason));
        });
        Receive<EdgeConnected>(c => Relay(new WebSocketChannel(c.Socket), c.StreamId));
        Receive<EdgeFailed>(f =>
        {
            ClientLog.Refused(_log, peer, options.Hostname, f.Reason);
            Context.Stop(Self);
        });
        Receive<RelayFinished>(f =>
        {
            // The edge names why it refused or ended a stream: in a WebSocket's Close frame, or a carrier stream's reset.
            if ((_edge as WebSocketChannel)?.PeerCloseReason is { Length: > 0 } why) ClientLog.EndedByEdge(_log, peer, options.Hostname, _streamId, why);
            else if ((_edge as MuxStream)?.ResetError is { Reason: var reset } byEdge && reset.StartsWith(StreamResetException.ByPeer, StringComparison.Ordinal))
            {
                if (byEdge.Code == ProtocolError.Refused) ClientLog.Refused(_log, peer, options.Hostname, reset[StreamResetException.ByPeer.Length..]);
                else ClientLog.EndedByEdge(_log, peer, options.Hostname, _streamId, reset[StreamResetException.ByPeer.Length..]);
            }
            else if (f.Result is { } r)
            {
                _closedCleanly = true;
                ClientLog.Closed(_log, peer, _streamId, r.AToB, r.BToA);
            }
            else ClientLog.Aborted(_log, peer, options.Hostname, _streamId, f.Error?.GetBaseException().Message);
            Context.Stop(Self);
        });

        credentials.GetHeadersAsync(CancellationToken.None)
            .PipeTo(Self, success: h => new Credentials(h), failure: e => new EdgeFailed(e.GetBaseException().Message));
    }

    private void Relay(IByteChannel edge, string streamId)
    {
        (_edge, _streamId) = (edge, streamId);
        ClientLog.Connected(_log, _peer, _options.Hostname, streamId);
        _relay = ByteRelay.Run(_local, edge, Context.System.Materializer());
        _relay.Completion.PipeTo(Self, success: r => new RelayFinished(r, null), failure: e => new RelayFinished(null, e));
    }

    private void Dial(EdgeFailover edges, IReadOnlyList<KeyValuePair<string, string>> headers) =>
        edges.ConnectAsync("/", _options.Hostname, headers, CancellationToken.None)
            .PipeTo(Self, success: c => new EdgeConnected(c.Socket, c.Headers.TryGetValue(EdgeDialer.StreamIdHeader, out var id) ? string.Join("", id) : "?"),
                failure: e => new EdgeFailed(e.GetBaseException().Message));

    protected override void PostStop()
    {
        _handoff.Abandon("the local connection ended");
        if (!_closedCleanly)
        {
            // Refused, reset or cut: the local client sees an error (a reset), never a clean end of a truncated stream.
            var stopped = new IOException("client connection stopped");
            _relay?.Abort(stopped);
            _local.Abort(stopped);
            _edge?.Abort(stopped);
        }
        (_local as IDisposable)?.Dispose();
        (_edge as IDisposable)?.Dispose();
    }
}
