using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Pattern;
using Akka.Streams;
using TunnelActors.Access.Certificates;
using TunnelActors.Origin.Hosting;
using TunnelActors.Origin.Metrics;
using TunnelActors.Origin.OriginStreams;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Origin.EdgeConnections;

/// <summary>
/// One outbound connection to the edge. Dials, registers (signing the edge's challenge with
/// the origin certificate), then serves streams: one <see cref="OriginStreamActor"/> child
/// each. It stops when the connection ends; its <see cref="BackoffSupervisor"/> parent starts
/// a new one after an exponential, jittered delay, reset once a registration succeeds.
/// </summary>
public sealed class EdgeConnectionActor : ReceiveActor, IWithTimers
{
    private sealed record Dialed(ClientWebSocket Socket, string Challenge);
    /// <param name="EdgeAlive">The edge answered that it cannot serve now (<see cref="EdgeRefusedException.EdgeAliveButUnavailable"/>).</param>
    private sealed record DialFailed(string Reason, bool EdgeAlive = false);
    private sealed record Tick;
    private sealed record RetryLater;
    private sealed record RegisterTimedOut;
    private sealed record CheckPreferredEdge;
    private sealed record PreferredEdgeAnswers;

    private readonly int _index;
    private readonly ConnectorOptions _options;
    private readonly IActorRef _connector;
    private readonly TunnelIdentity _identity;
    private readonly EdgeRotation _edges;
    private readonly EdgeDialer _dialer;
    private readonly ConnectorMetrics _metrics;
    private readonly ILogger _log = Context.Logger<EdgeConnectionActor>();
    private MuxConnection? _mux;
    private bool _registered;
    private IActorRef? _drainRequester;
    private bool _retiring; // the edge sent GOAWAY: a replacement took this slot, finish the open streams
    private bool _replacementReady; // ...and close once that replacement is registered: never a gap
    private string _retiredBecause = "";
    private readonly LateTicks _ticks;
    // Stream actors only: the connection's stream stages are children too (Context.Materializer()).
    private readonly HashSet<IActorRef> _streams = new();

    /// <param name="connector">The connector actor: told when this connection registers, retires and has retired
    /// (this actor's parent is its slot's backoff supervisor, which restarts it after a failure).</param>
    public EdgeConnectionActor(int index, ConnectorOptions options, TunnelIdentity identity, EdgeRotation edges, ConnectorMetrics metrics, IActorRef connector)
    {
        (_index, _options, _identity, _edges, _metrics, _connector) = (index, options, identity, edges, metrics, connector);
        _ticks = new LateTicks(options.PingInterval);
        _dialer = edges.DialerFor(index);

        Receive<Dialed>(d => StartSession(d.Socket, d.Challenge));
        Receive<DialFailed>(f =>
        {
            ConnectorLog.CannotConnect(_log, _index, _dialer.Edge, f.Reason);
            _edges.Failed(_index, _dialer); // the next attempt tries the next edge, and every connection avoids this one a while
            // An edge that refuses for now is no reason to wait longer and longer: after a partition heals, or when a
            // whole cluster restarts, the tunnel is back within seconds of an edge taking registrations again. Retries
            // stay MinBackoff + up to UnavailableRetryJitter apart (1-4 s), so connectors refused by a whole cluster do not come back in step.
            if (!f.EdgeAlive)
            {
                Context.Stop(Self);
                return;
            }
            Context.Parent.Tell(BackoffSupervisor.Reset.Instance);
            Timers.StartSingleTimer("retry", new RetryLater(), Random.Shared.NextDouble() * _options.UnavailableRetryJitter);
        });
        Receive<RetryLater>(_ => Context.Stop(Self)); // its backoff supervisor starts the next attempt
        Receive<MuxControlFrame>(m => OnControlFrame(m.Frame));
        Receive<MuxStreamOpened>(m =>
        {
            if (_drainRequester is not null)
            {
                m.Stream.Abort(new ProtocolException(ProtocolError.Refused, "connector is draining"));
                return;
            }
            var rule = _options.Ingress.Match(m.Stream.Open.Hostname);
            if (rule.Service is not { } service)
            {
                ConnectorLog.NoIngressRule(_log, m.Stream.Id, m.Stream.Open.Hostname, rule.Line, rule.Status);
                m.Stream.Abort(new ProtocolException(ProtocolError.Refused, $"no ingress rule serves {m.Stream.Open.Hostname} (http_status:{rule.Status})"));
                return;
            }
            var stream = Context.ActorOf(ActorProps.Of(() => new OriginStreamActor(m.Stream, service, _metrics)), $"stream-{m.Stream.Id}");
            _streams.Add(Context.Watch(stream));
        });
        Receive<MuxStreamError>(e => ConnectorLog.StreamReset(_log, _index, e.StreamId, e.Reason));
        Receive<Tick>(_ => CheckLiveness());
        Receive<RegisterTimedOut>(_ =>
        {
            ConnectorLog.RegisterTimedOut(_log, _index);
            _mux?.Abort(new TimeoutException("no REGISTERED from the edge"));
        });
        // Settled on another edge because ours was down: go back once its /ready answers (re-spreads the
        // connections over the edges after a restart). Make-before-break, like a GOAWAY.
        Receive<CheckPreferredEdge>(_ =>
        {
            if (_retiring || _drainRequester is not null) return;
            _edges.PreferredFor(_index).ReadyAsync(TimeSpan.FromSeconds(2)).PipeTo(Self, success: up => up ? new PreferredEdgeAnswers() : new Status.Success(null), failure: _ => new Status.Success(null));
        });
        Receive<PreferredEdgeAnswers>(_ =>
        {
            if (_retiring || _drainRequester is not null) return;
            ConnectorLog.MovingBack(_log, _index, _edges.PreferredFor(_index).Edge);
            _edges.Answered(_edges.PreferredFor(_index)); // else the replacement would skip it as recently failed
            Timers.Cancel("rebalance");
            Retire("moved back to its preferred edge");
        });
        Receive<Status.Success>(_ => { });
        Receive<ReplacementReady>(_ =>
        {
            _replacementReady = true;
            _mux?.GoAway(_retiredBecause); // no new streams here, even if a silent path heals
            FinishRetiringIfIdle();
        });
        Receive<Drain>(_ =>
        {
            _drainRequester = Sender;
            _mux?.GoAway("connector shutting down");
            FinishDrainIfIdle();
        });
        Receive<Terminated>(t =>
        {
            _streams.Remove(t.ActorRef);
            FinishDrainIfIdle();
            FinishRetiringIfIdle();
        });
        Receive<MuxLinkEnded>(ended =>
        {
            if (ended.Error is null) ConnectorLog.Closed(_log, _index);
            else ConnectorLog.Lost(_log, _index, ended.Describe);
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _metrics.ConnectAttempted();
        _dialer.ConnectAsync(Transport.Tls.EdgePaths.Connect, null, [], CancellationToken.None)
            .PipeTo(Self,
                success: r => r.Headers.TryGetValue(OriginCredential.ChallengeHeader, out var values) && values.FirstOrDefault() is { } challenge
                    ? new Dialed(r.Socket, challenge)
                    : new DialFailed($"the edge sent no {OriginCredential.ChallengeHeader} header (is {_dialer.Edge} a TunnelActors edge?)"),
                failure: e => new DialFailed(e.Message, e is EdgeRefusedException { EdgeAliveButUnavailable: true }));
    }

    protected override void PostStop()
    {
        if (_registered) _metrics.ConnectionLost();
        _mux?.Abort(new IOException("connector connection stopped"));
        _drainRequester?.Tell(new Drained(Context.Parent));
        if (_retiring) _connector.Tell(new Retired(Context.Parent)); // to the connector
    }

    // A stream that fails is over; the connection and its other streams carry on.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void StartSession(ClientWebSocket socket, string challenge)
    {
        _mux = MuxLink.Start(Context, $"edge-{_index}", _options.Mux, new WebSocketChannel(socket));
        _mux.AwaitRegistered();
        _mux.TrySend((_identity.Register(challenge, _options.ReplicaId) with { ConnectionWindow = _options.Mux.ConnectionWindow }).ToFrame());
        Timers.StartSingleTimer("register", new RegisterTimedOut(), TimeSpan.FromSeconds(10));
        Timers.StartPeriodicTimer("tick", new Tick(), _options.PingInterval);
    }

    private void OnControlFrame(Frame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Registered:
                var registered = RegisteredPayload.Parse(frame.Payload.Span);
                Timers.Cancel("register");
                _registered = true;
                _edges.Registered(_index, _dialer);
                _connector.Tell(new SlotRegistered(Context.Parent));
                if (_edges.PreferredFor(_index) != _dialer)
                    Timers.StartPeriodicTimer("rebalance", new CheckPreferredEdge(), _options.RebalanceInterval);
                _metrics.ConnectionRegistered();
                ConnectorLog.Registered(_log, _index, _identity.Describe, _dialer.Edge, registered.EdgeNode, registered.ConnectionId);
                Context.Parent.Tell(BackoffSupervisor.Reset.Instance); // healthy again: next failure starts from the shortest delay
                break;
            case FrameType.GoAway:
                var reason = ReasonPayload.Parse(frame.Payload.Span, FrameType.GoAway);
                if (!_retiring) _edges.MoveAfter(_index, _dialer); // its replacement dials the next edge
                if (reason.Code != ProtocolError.None)
                {
                    if (reason.Code == ProtocolError.Refused) ConnectorLog.RefusedByEdge(_log, _index, reason.Reason);
                    else ConnectorLog.ClosedByEdge(_log, _index, reason.Reason);
                    _mux?.Close(ProtocolError.None, "edge asked us to go away");
                    break;
                }
                if (_retiring) // already replaced (silence, moving back)
                {
                    FinishRetiringIfIdle();
                    break;
                }
                ConnectorLog.EdgeDraining(_log, _index, reason.Reason, _streams.Count);
                Retire("edge is draining: connection retired");
                FinishRetiringIfIdle();
                break;
            default:
                ConnectorLog.UnexpectedFrame(_log, _index, frame.Type);
                break;
        }
    }

    private void CheckLiveness()
    {
        if (_mux is null) return;
        if (_mux.KeepAlive(_options.DeadAfter, "edge") is { } cut)
        {
            ConnectorLog.Silent(_log, _index, cut);
            return;
        }
        var paused = _ticks.Late(); // the silence may be ours
        // Silent, not yet dead: make before break, as for an edge's GOAWAY. The edge, hearing
        // nothing either, routes new streams to the tunnel's other connections meanwhile.
        if (paused || !_registered || _retiring || _drainRequester is not null || _mux.SinceLastFrame <= _options.SuspectAfter) return;
        ConnectorLog.Suspect(_log, _index, _dialer.Edge, _mux.SinceLastFrame.TotalSeconds, _options.DeadAfter.TotalSeconds);
        _edges.MoveAfter(_index, _dialer); // its replacement dials the next edge
        Timers.Cancel("rebalance");
        Retire("edge was silent: connection replaced");
    }

    // A replacement takes this slot; this connection finishes its streams, then closes (FinishRetiringIfIdle).
    private void Retire(string because)
    {
        (_retiring, _retiredBecause) = (true, because);
        _connector.Tell(new Retiring(Context.Parent));
    }

    private void FinishRetiringIfIdle()
    {
        if (_retiring && _replacementReady && _streams.Count == 0) _mux?.Close(ProtocolError.None, _retiredBecause);
    }

    private void FinishDrainIfIdle()
    {
        if (_drainRequester is null || _streams.Count > 0) return;
        _mux?.Close(ProtocolError.None, "connector shut down");
        if (_mux is null) Context.Stop(Self);
    }
}
