using Akka.Actor;
using Microsoft.Extensions.Logging;
using Akka.Streams;
using TunnelActors.Access.Certificates;
using TunnelActors.Edge.Hosting;
using TunnelActors.Transport.Hosting;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.State;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Edge.Connections;

/// <summary>
/// One connector WebSocket terminated on this node. Owns its multiplexed connection (MuxConnection); waits for REGISTER,
/// checks the origin credential, then heartbeats to its <see cref="TunnelEntity"/> and opens
/// streams on request. Pings the connector and drops it when it falls silent.
/// </summary>
public sealed class OriginConnectionActor : ReceiveActor, IWithTimers
{
    private sealed record Registered(RegisterPayload Register, Admission Admission);
    private sealed record RegistrationRefused(string Reason);
    private sealed record Tick;
    private sealed record CheckSilence;
    private sealed record RegisterTimedOut;
    private sealed record AbortRefused;

    // A refused connector gets its GOAWAY reason; one that does not close within this is cut.
    private static readonly TimeSpan RefusalGrace = TimeSpan.FromSeconds(2);

    private readonly string _connectionId;
    private readonly AcceptOriginConnection _accept;
    private readonly EdgeIdentity _identity;
    private readonly EdgeOptions _options;
    private readonly IActorRef _tunnels;
    private readonly LocalConnections _local;
    private readonly string _nodeName;
    private readonly ILogger _log = Context.Logger<OriginConnectionActor>();
    private MuxConnection _mux = null!; // started in PreStart
    private StreamOpener _opener = null!;
    private RegisterPayload? _register;
    private readonly DateTimeOffset _connectedAt = DateTimeOffset.UtcNow;

    private readonly EdgeMetrics _metrics;
    private readonly LogBudget _unexpectedFrames = new(5, TimeSpan.FromSeconds(10));
    private bool _counted;
    private bool _edgeDraining;
    private bool _operatorDrained;
    private bool _silent; // nothing heard for ConnectionSuspectAfter: routed to only as a last resort
    private readonly LateTicks _silenceTicks;
    private TimeSpan SilenceCheckInterval => _options.ConnectionSuspectAfter / 4;
    private string? _tunnelId; // the routing key Registration admitted: a quick tunnel's hostname or a named tunnel's id
    private string? _certificateSerial; // the origin certificate it registered with (quick tunnels)
    // Per-stream byte counts at the last tick and the rates measured over that interval.
    private Dictionary<uint, (long Out, long In, double RateOut, double RateIn)> _rates = new();
    private DateTime _lastSample = DateTime.UtcNow;

    public OriginConnectionActor(string connectionId, AcceptOriginConnection accept, EdgeIdentity identity,
        EdgeOptions options, IActorRef tunnels, LocalConnections local, string nodeName, EdgeMetrics metrics)
    {
        _metrics = metrics;
        (_connectionId, _accept, _identity, _options, _tunnels, _local, _nodeName) = (connectionId, accept, identity, options, tunnels, local, nodeName);
        _silenceTicks = new LateTicks(SilenceCheckInterval);
        AwaitingRegister();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _mux = MuxLink.Start(Context, $"origin-{_connectionId}", _options.Mux, new WebSocketChannel(_accept.WebSocket));
        _opener = new StreamOpener(_mux);
        Timers.StartSingleTimer("register", new RegisterTimedOut(), _options.RegisterTimeout);
    }

    protected override void PostStop()
    {
        if (_register is not null) Withdraw("connection ended"); // first: no stream is placed on a connection being torn down
        _mux.Abort(new IOException("edge connection actor stopped"));
        _accept.Slot.Dispose();
        if (_counted) _metrics.ConnectionClosed();
        _accept.Done.TrySetResult();
    }

    private void AwaitingRegister()
    {
        Receive<MuxControlFrame>(m => m.Frame.Type == FrameType.Register, m =>
        {
            RegisterPayload register;
            try { register = RegisterPayload.Parse(m.Frame.Payload.Span); }
            catch (ProtocolException e) { Refuse(e.Message); return; }
            var (identity, challenge) = (_identity, _accept.Challenge);
            // Chain building and the database are I/O: off the actor, result piped back.
            Task.Run(() => Registration.Verify(register, challenge, identity))
                .PipeTo(Self, success: admission => new Registered(register, admission),
                    failure: e => new RegistrationRefused(e.GetBaseException().Message));
            Become(Verifying);
        });
        Receive<RegisterTimedOut>(_ => Refuse($"no REGISTER within {_options.RegisterTimeout.TotalSeconds:0} s"));
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused("connection is not registered yet")));
        Receive<DrainConnection>(drain => _mux.Close(ProtocolError.None, drain.Reason));
        CommonHandlers();
    }

    // One REGISTER per connection: a second one while the first is checked is a protocol violation.
    private void Verifying()
    {
        Receive<MuxControlFrame>(m => m.Frame.Type == FrameType.Register, _ => Refuse("a second REGISTER on one connection"));
        Receive<Registered>(r =>
        {
            Timers.Cancel("register");
            _accept.Slot.Dispose();
            (_register, _tunnelId, _certificateSerial) = (r.Register, r.Admission.TunnelId, r.Admission.CertificateSerial);
            _metrics.ConnectionRegistered();
            _counted = true;
            // A connection window only when the connector offered one: an older connector would not parse the field.
            var window = r.Register.ConnectionWindow > 0 ? _mux.Options.ConnectionWindow : 0;
            _mux.EnableConnectionWindow(r.Register.ConnectionWindow);
            _mux.TrySend(new RegisteredPayload(_connectionId, _nodeName, window).ToFrame());
            ConnectionLog.Registered(_log, _connectionId, r.Admission.Describe, r.Register.ReplicaId, _accept.RemoteAddress, r.Admission.Zone, r.Admission.TunnelId);
            Heartbeat();
            Timers.StartPeriodicTimer("tick", new Tick(), _options.HeartbeatInterval);
            Timers.StartPeriodicTimer("listen", new CheckSilence(), SilenceCheckInterval);
            Become(Serving);
        });
        Receive<RegistrationRefused>(r => Refuse(r.Reason));
        Receive<RegisterTimedOut>(_ => Refuse($"no REGISTER within {_options.RegisterTimeout.TotalSeconds:0} s"));
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused("connection is not registered yet")));
        Receive<DrainConnection>(drain => _mux.Close(ProtocolError.None, drain.Reason));
        CommonHandlers();
    }

    private void Serving()
    {
        // Picked by the tunnel's entity: this node's own routing opens through the opener directly.
        Receive<OpenStream>(open => _opener.OpenAsync(open).PipeTo(Sender));
        Receive<Tick>(_ =>
        {
            if (_mux.KeepAlive(_options.ConnectionIdleTimeout, "connector") is { } cut)
            {
                ConnectionLog.Silent(_log, _connectionId, cut);
                return;
            }
            SampleRates();
            Heartbeat();
        });
        Receive<CheckSilence>(_ =>
        {
            if (_silenceTicks.Late()) return; // the silence may be ours
            var quiet = _mux.SinceLastFrame;
            if (quiet > _options.ConnectionSuspectAfter / 3) _mux.SendPing(); // a live connector answers long before it counts as silent
            var silent = quiet > _options.ConnectionSuspectAfter;
            if (silent == _silent) return;
            _silent = silent;
            if (silent) ConnectionLog.Suspect(_log, _connectionId, _mux.SinceLastFrame.TotalSeconds);
            else ConnectionLog.HeardAgain(_log, _connectionId);
            Heartbeat(); // routing learns at once, not at the next heartbeat
        });
        Receive<MuxControlFrame>(m => m.Frame.Type == FrameType.Register, _ =>
            _mux.Close(ProtocolError.StreamState, "REGISTER on a connection that is already registered"));
        Receive<MuxControlFrame>(m => m.Frame.Type == FrameType.GoAway, m =>
        {
            var reason = ReasonPayload.Parse(m.Frame.Payload.Span, FrameType.GoAway);
            ConnectionLog.ConnectorDraining(_log, _connectionId, reason.Reason);
            Withdraw("connection is draining");
            _register = null;
            Timers.Cancel("listen");
            Become(Draining);
        });
        // This edge is shutting down: the connector opens a replacement elsewhere and closes this
        // connection once that one is registered and the streams here are done. Until then it
        // stays usable, as a last resort, so the tunnel never has a moment without a connection.
        Receive<DrainConnection>(drain =>
        {
            if (_edgeDraining) return;
            ConnectionLog.EdgeDraining(_log, _connectionId, drain.Reason, _mux.StreamCount);
            _edgeDraining = true;
            _mux.GoAway(drain.Reason);
            Heartbeat();
        });
        CommonHandlers();
    }

    private void Draining()
    {
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused("connection is draining")));
        // The connector closes once its streams are done; close from here too, whichever is first.
        Receive<Tick>(_ =>
        {
            if (_mux.StreamCount == 0) _mux.Close(ProtocolError.None, "drained");
        });
        Receive<DrainConnection>(_ => { });
        CommonHandlers();
    }

    private void CommonHandlers()
    {
        Receive<GetConnectionState>(_ => Sender.Tell(new ConnectionState(_connectionId, _register?.Hostname, _register?.ConnectorId,
            _register?.ReplicaId, _accept.RemoteAddress, _connectedAt, _mux.LastRtt?.TotalMilliseconds,
            _mux.Streams.Select(s =>
                {
                    var r = _rates.GetValueOrDefault(s.Id); // not sampled yet: rates 0
                    return new StreamInfo(s.Id, s.Open.Identity, s.Open.Hostname, s.BytesOut, s.BytesIn, r.RateOut, r.RateIn, Age(s));
                })
                .OrderBy(s => s.StreamId).ToList(), _edgeDraining || _operatorDrained)));
        Receive<RevokedCertificates>(revoked =>
        {
            if (_certificateSerial is null || !revoked.Serials.Contains(_certificateSerial)) return;
            ConnectionLog.CertificateRevoked(_log, _connectionId, _certificateSerial);
            _mux.Close(ProtocolError.Refused, $"origin certificate {_certificateSerial} was revoked");
            _certificateSerial = null;
        });
        Receive<SetOperatorDrain>(drain =>
        {
            ConnectionLog.OperatorDrain(_log, _connectionId, drain.Drained ? "drained (new streams go elsewhere)" : "resumed");
            _operatorDrained = drain.Drained;
            Heartbeat();
            Sender.Tell(new Status.Success(_connectionId));
        });
        Receive<CloseConnection>(close =>
        {
            ConnectionLog.OperatorClosed(_log, _connectionId, close.Reason);
            _mux.Close(ProtocolError.Cancelled, $"closed by an operator: {close.Reason}");
        });
        Receive<MuxLinkEnded>(ended =>
        {
            if (ended.Error is null) ConnectionLog.Closed(_log, _connectionId, _tunnelId);
            else ConnectionLog.Lost(_log, _connectionId, _tunnelId, ended.Describe);
            Context.Stop(Self);
        });
        Receive<MuxStreamError>(e => ConnectionLog.StreamReset(_log, _connectionId, e.StreamId, e.Reason));
        Receive<MuxControlFrame>(m =>
        {
            if (_unexpectedFrames.TryTake(out var suppressed))
                ConnectionLog.UnexpectedFrame(_log, _connectionId, m.Frame.Type, suppressed);
        });
        Receive<MuxStreamOpened>(m => m.Stream.Abort(new ProtocolException(ProtocolError.StreamState, "connectors may not open streams")));
    }

    private static int Age(MuxStream stream) => (int)(DateTimeOffset.UtcNow - stream.OpenedAt).TotalSeconds;

    private void SampleRates()
    {
        var now = DateTime.UtcNow;
        var seconds = Math.Max((now - _lastSample).TotalSeconds, 0.001);
        var next = new Dictionary<uint, (long, long, double, double)>();
        foreach (var stream in _mux.Streams)
        {
            var (lastOut, lastIn) = _rates.TryGetValue(stream.Id, out var r) ? (r.Out, r.In) : (0L, 0L);
            next[stream.Id] = (stream.BytesOut, stream.BytesIn, (stream.BytesOut - lastOut) / seconds, (stream.BytesIn - lastIn) / seconds);
        }
        (_rates, _lastSample) = (next, now);
    }

    private void Refuse(string reason)
    {
        _metrics.Refused("registration");
        ConnectionLog.Refused(_log, _connectionId, _accept.RemoteAddress, reason);
        _mux.Close(ProtocolError.Refused, $"registration refused: {reason}");
        Timers.StartSingleTimer("abort-refused", new AbortRefused(), RefusalGrace);
        Become(Refused);
    }

    // A peer that never reads would keep a closed connection's socket forever: cut it after the grace.
    private void Refused()
    {
        Receive<AbortRefused>(_ => _mux.Abort(new IOException("refused connector did not close")));
        Receive<OpenStream>(_ => Sender.Tell(new StreamRefused("connection was refused")));
        Receive<MuxControlFrame>(_ => { });
        Receive<RegisterTimedOut>(_ => { });
        Receive<Registered>(_ => { });
        Receive<RegistrationRefused>(_ => { });
        Receive<DrainConnection>(_ => { });
        CommonHandlers();
    }

    // The tunnel's entity (cluster-wide routing) and this node's index (local-first routing) both learn of it.
    private void Heartbeat()
    {
        if (_register is not { } r) return;
        var beat = new ConnectionHeartbeat(_tunnelId!, _connectionId, Self, _nodeName, _options.PeerUrl, r.ConnectorId, r.ReplicaId, _mux.StreamCount,
            _edgeDraining || _operatorDrained || _silent);
        _tunnels.Tell(beat);
        _local.Announce(beat, _opener);
    }

    // No new streams from here on: routing forgets it now rather than at the next sweep.
    private void Withdraw(string reason)
    {
        _opener.Close(reason);
        _tunnels.Tell(new ConnectionClosed(_tunnelId!, _connectionId));
        _local.Withdraw(_connectionId);
    }

}
