using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Streams;
using TunnelActors.Origin.Metrics;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Origin.OriginStreams;

/// <summary>
/// One stream from the edge joined to one TCP connection to the local service. Connects,
/// relays both ways with a backpressured graph per direction, reports the bytes, stops.
/// An unreachable service resets the stream with the reason, which the edge passes on.
/// </summary>
public sealed class OriginStreamActor : ReceiveActor
{
    private sealed record OriginConnected(Socket Socket);
    private sealed record OriginUnreachable(string Reason);
    private sealed record RelayFinished(RelayResult? Result, string? Error);

    private readonly MuxStream _stream;
    private readonly ConnectorMetrics _metrics;
    private readonly ILogger _log = Context.Logger<OriginStreamActor>();
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stopped = new();
    private readonly Task<Socket> _connecting;
    private RunningRelay? _relay;
    private SocketChannel? _origin;

    public OriginStreamActor(MuxStream stream, Uri originUrl, ConnectorMetrics metrics)
    {
        (_stream, _metrics) = (stream, metrics);
        metrics.StreamStarted();

        Receive<OriginConnected>(connected =>
        {
            ConnectorLog.StreamConnected(_log, stream.Open.StreamId, stream.Id, stream.Open.Identity, originUrl.Authority);
            _origin = SocketChannel.Wrap(connected.Socket);
            _relay = ByteRelay.Run(_stream, _origin, Context.System.Materializer());
            _relay.Completion.PipeTo(Self, success: r => new RelayFinished(r, null), failure: e => new RelayFinished(null, e.GetBaseException().Message));
        });
        Receive<OriginUnreachable>(u =>
        {
            _metrics.OriginError();
            ConnectorLog.OriginUnreachable(_log, stream.Open.StreamId, stream.Id, stream.Open.Identity, originUrl, u.Reason);
            _stream.Abort(new ProtocolException(ProtocolError.Refused, $"origin {originUrl.Authority} unreachable: {u.Reason}"));
            Context.Stop(Self);
        });
        Receive<RelayFinished>(f =>
        {
            if (f.Result is { } r)
                ConnectorLog.StreamDone(_log, stream.Open.StreamId, stream.Id, stream.Open.Identity, r.AToB, r.BToA);
            else
                ConnectorLog.StreamAborted(_log, stream.Open.StreamId, stream.Id, stream.Open.Identity, f.Error);
            Context.Stop(Self);
        });

        _connecting = Connect(originUrl, _stopped.Token);
        _connecting.PipeTo(Self, success: s => new OriginConnected(s), failure: e => new OriginUnreachable(e.GetBaseException().Message));
    }

    protected override void PostStop()
    {
        var stopped = new IOException("origin stream actor stopped");
        _relay?.Abort(stopped);
        // Cut short (its connection to the edge lost, the connector stopping): the service's connection is reset, as the
        // relay's own failure would have done, never closed cleanly: a clean end would pass for a complete transfer.
        if (_relay?.Completion.IsCompletedSuccessfully == true) _origin?.Dispose();
        else _origin?.Abort(stopped);
        // Stopped before the connection arrived (the edge reset the stream, the connection died): a dial still in
        // flight gives up, and a socket that connected anyway is closed here, since its message goes to dead letters.
        _stopped.Cancel();
        if (_origin is null)
            _connecting.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        _stopped.Dispose();
        _metrics.StreamEnded(toOrigin: _stream.BytesIn, fromOrigin: _stream.BytesOut);
    }

    private static async Task<Socket> Connect(Uri originUrl, CancellationToken stopped)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopped);
            timeout.CancelAfter(ConnectTimeout);
            // An address is dialled as is; only a name goes through the resolver (each time: its records may change).
            if (IPAddress.TryParse(originUrl.DnsSafeHost, out var address)) await socket.ConnectAsync(new IPEndPoint(address, originUrl.Port), timeout.Token);
            else await socket.ConnectAsync(originUrl.Host, originUrl.Port, timeout.Token);
            return socket;
        }
        catch (OperationCanceledException) when (!stopped.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no answer to the connect within {ConnectTimeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
