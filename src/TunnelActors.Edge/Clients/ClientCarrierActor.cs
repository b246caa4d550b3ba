using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Edge.Streams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Hosting;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Clients;

/// <summary>An authenticated client's carrier WebSocket <paramref name="Id"/> was accepted (after <see cref="AdmitCarrier"/>); <paramref name="Done"/> completes when it ends.</summary>
public sealed record AcceptCarrier(System.Net.WebSockets.WebSocket WebSocket, string Id, System.Net.IPAddress Source, string RemoteAddress, string Identity, TaskCompletionSource Done);

/// <summary>May <paramref name="Source"/> open one more carrier? Answered with <see cref="CarrierAdmitted"/> (its slot is held) or <see cref="CarrierRefused"/>.</summary>
public sealed record AdmitCarrier(System.Net.IPAddress Source);
public sealed record CarrierAdmitted;
public sealed record CarrierRefused(string Reason);

/// <summary>An admitted carrier's upgrade failed: its slot is free again.</summary>
public sealed record CarrierGone(System.Net.IPAddress Source);

/// <summary>
/// One `access tcp` process's multiplexed connection to this edge: every local connection of the
/// client is a stream on it, opened by the client. Each stream becomes a stream actor
/// (<see cref="EdgeStreamActor.ForCarrier"/>) that decides it on its own credential. The client pings
/// every second; a carrier silent for the idle timeout is cut, and on a drain it gets GOAWAY (the
/// client dials another edge for new connections) and closes once its streams are done.
/// A carrier opens streams at most <see cref="OpensPerSecond"/> a second (bursts of twice that): each one
/// costs the edge a credential check, so a flood of OPENs is reset, not decided.
/// </summary>
public sealed class ClientCarrierActor : ReceiveActor, IWithTimers
{
    public const int OpensPerSecond = 1000;

    private sealed record Tick;
    private sealed record CloseWhenIdle;

    private readonly ILogger _log = Context.Logger<ClientCarrierActor>();
    private readonly AcceptCarrier _accept;
    private readonly string _name;
    private readonly Hosting.EdgeOptions _options;
    private readonly MuxOptions _muxOptions;
    private readonly Hosting.ClusterQuorum _quorum;
    private MuxConnection? _mux; // started in PreStart
    private readonly OpenRate _opens = new(OpensPerSecond, TimeProvider.System);

    public ClientCarrierActor(AcceptCarrier accept, IActorRef streams, Hosting.EdgeOptions options, MuxOptions mux, Hosting.ClusterQuorum quorum)
    {
        (_accept, _name, _options, _muxOptions, _quorum) = (accept, accept.Id, options, mux, quorum);
        var name = accept.Id;
        Receive<MuxStreamOpened>(m =>
        {
            if (quorum.Refusal is { } refusal) m.Stream.Abort(new ProtocolException(ProtocolError.Refused, refusal)); // GOAWAY is on its way
            else if (_opens.TryTake()) streams.Tell(new CarrierStream(m.Stream, accept.Source, name));
            else m.Stream.Abort(new ProtocolException(ProtocolError.TooManyStreams, $"this carrier opens streams faster than {OpensPerSecond} a second"));
        });
        Receive<Tick>(_ =>
        {
            if (_mux!.KeepAlive(options.ConnectionIdleTimeout, $"client {accept.RemoteAddress}") is { } cut) CarrierLog.Silent(_log, name, cut);
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
            _mux!.GoAway(drain.Reason);
            Timers.StartPeriodicTimer("idle", new CloseWhenIdle(), TimeSpan.FromMilliseconds(200));
        });
        Receive<CloseWhenIdle>(_ =>
        {
            if (_mux!.StreamCount == 0) _mux.Close(ProtocolError.None, "edge is shutting down");
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        CarrierLog.Up(_log, _name, _accept.Identity);
        _mux = MuxLink.Start(Context, $"carrier-{_name}", _muxOptions, new WebSocketChannel(_accept.WebSocket));
        Timers.StartPeriodicTimer("tick", new Tick(), _options.HeartbeatInterval);
        // Accepted as this edge lost the majority, after the GOAWAY to every carrier went out: this one gets its own.
        if (_quorum.Refusal is { } refusal) Self.Tell(new Connections.DrainConnection(refusal));
    }

    protected override void PostStop()
    {
        _accept.Done.TrySetResult(); // first: the upgrade request must end whatever else fails here
        if (_mux is null) _accept.WebSocket.Abort();
        else _mux.Abort(new IOException("client carrier actor stopped"));
    }
}
