using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Edge.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Hosting;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Clients;

/// <summary>An authenticated client's carrier WebSocket was accepted; <paramref name="Done"/> completes when it ends.</summary>
public sealed record AcceptCarrier(System.Net.WebSockets.WebSocket WebSocket, System.Net.IPAddress Source, string RemoteAddress, string Identity, TaskCompletionSource Done);

/// <summary>
/// One `access tcp` process's multiplexed connection to this edge: every local connection of the
/// client is a stream on it, opened by the client. Each stream becomes a stream actor
/// (<see cref="EdgeStreamActor.ForCarrier"/>) that decides it on its own credential. The client pings
/// every second; a carrier silent for the idle timeout is cut, and on a drain it gets GOAWAY (the
/// client dials another edge for new connections) and closes once its streams are done.
/// </summary>
public sealed class ClientCarrierActor : ReceiveActor, IWithTimers
{
    private sealed record Tick;
    private sealed record CloseWhenIdle;

    private readonly ILogger _log = Context.Logger<ClientCarrierActor>();
    private readonly AcceptCarrier _accept;
    private readonly string _name;
    private readonly Hosting.EdgeOptions _options;
    private MuxConnection _mux = null!; // started in PreStart

    public ClientCarrierActor(AcceptCarrier accept, string name, IActorRef streams, Hosting.EdgeOptions options)
    {
        (_accept, _name, _options) = (accept, name, options);
        Receive<MuxStreamOpened>(m => streams.Tell(new CarrierStream(m.Stream, accept.Source, name)));
        Receive<Tick>(_ =>
        {
            if (_mux.KeepAlive(options.ConnectionIdleTimeout, $"client {accept.RemoteAddress}") is { } cut) CarrierLog.Silent(_log, name, cut);
        });
        Receive<MuxLinkEnded>(ended =>
        {
            if (ended.Error is null) CarrierLog.Closed(_log, name);
            else CarrierLog.Lost(_log, name, ended.Describe);
            Context.Stop(Self);
        });
        Receive<MuxStreamError>(e => CarrierLog.StreamReset(_log, name, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(_ => { }); // a client sends none that matter here
        Receive<Connections.DrainConnection>(drain =>
        {
            _mux.GoAway(drain.Reason);
            Timers.StartPeriodicTimer("idle", new CloseWhenIdle(), TimeSpan.FromMilliseconds(200));
        });
        Receive<CloseWhenIdle>(_ =>
        {
            if (_mux.StreamCount == 0) _mux.Close(ProtocolError.None, "edge is shutting down");
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        CarrierLog.Up(_log, _name, _accept.Identity);
        _mux = MuxLink.Start(Context, $"carrier-{_name}", _options.Mux, new WebSocketChannel(_accept.WebSocket));
        Timers.StartPeriodicTimer("tick", new Tick(), _options.HeartbeatInterval);
    }

    protected override void PostStop()
    {
        _mux.Abort(new IOException("client carrier actor stopped"));
        _accept.Done.TrySetResult();
    }
}
