using Akka.Actor;
using Akka.Streams;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Policies;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Routing;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Edge.Streams;

/// <summary>
/// One stream through this edge, from open to close: a client's (its WebSocket, or a stream on its
/// multiplexed carrier) or one a peer edge relays here (its mux stream on the peer link). Opens the stream on a tunnel connection
/// through its <see cref="StreamHandoff"/>, owns the relay graph and its kill switch, knows who
/// the stream is for, counts its bytes, and ends it on every path — the requester gone, a
/// deadline, either side closing or resetting, an operator, a revocation or a policy that no
/// longer admits it. Whatever ends it, both sides are reset in <see cref="PostStop"/>.
/// </summary>
public sealed class EdgeStreamActor : ReceiveActor, IWithTimers
{
    /// <summary>How long an opened stream waits for its client's WebSocket before it is taken as abandoned.</summary>
    public static readonly TimeSpan AttachDeadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan OpenDeadline = TimeSpan.FromSeconds(20); // above the router's own timeouts
    // Rates are measured over the time since the last summary at least this old: no timer per stream (idle streams cost nothing).
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);
    // A relayed stream that lost its access is ended here only if the client's edge has not ended it by then.
    private static readonly TimeSpan RelayBackstop = TimeSpan.FromMilliseconds(500);

    private sealed record Routed(RoutedStream Stream, StreamAccess Access, string TunnelId);
    private sealed record RouteFailed(string Reason, int Status = 502);
    private sealed class CarrierStreamRefused(int status, string reason) : Exception(reason)
    {
        public int Status { get; } = status;
    }
    private sealed record RelayEnded(RelayResult? Result, Exception? Error);
    private sealed record Deadline(string Reason);
    private sealed record Backstop(string Reason);
    private sealed record Recheck;
    private sealed record CredentialChecked(string? Revoked);

    private readonly string _id;
    private readonly StreamServices _services;
    private readonly bool _relayed;
    private readonly string _source;
    private readonly StreamHandoff _handoff = new();
    private readonly CancellationTokenSource _stopped = new();
    private RunningRelay? _relay;
    private readonly DateTimeOffset _createdAt;
    private readonly ILogger _log;
    private StreamAccess? _access;
    private string? _tunnelId;
    private string? _connectionId;
    private RoutedStream? _toOrigin;
    private IByteChannel? _client;
    private string _state = "opening";
    private string? _endReason;
    private IActorRef? _requester; // a client's request not answered yet
    private bool _relayFinished;
    private (long Out, long In, double RateOut, double RateIn, long At) _sampled; // At: a monotonic timestamp
    private Task _audits = Task.CompletedTask;
    private readonly List<AccessRevoked> _earlyRevocations = new(); // a carrier stream's, while it is being decided
    // Room for the replay of recent ones and a burst besides; beyond it the stream is refused, never let through unchecked.
    private const int MaxEarlyRevocations = 4 * EdgeStreams.MaxReplayed;
    private bool _earlyRevocationsOverflowed;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>What a stream starts from: a client of this edge waiting for it, or a stream a peer edge opened here.</summary>
    public abstract record Start;

    /// <summary>A client of this edge: opens the stream, answers <paramref name="Requester"/>, then relays its WebSocket.</summary>
    public sealed record ForClient(OpenClientStream Open, IActorRef Requester) : Start;

    /// <summary>A stream a peer edge relays: decided again here, opened on a connection of this node, relayed at once.</summary>
    public sealed record ForPeer(RelayPeerStream Relay) : Start;

    /// <summary>A stream on a client's carrier: decided on its own credential, opened like a client's, relayed at once.</summary>
    public sealed record ForCarrier(CarrierStream Carried) : Start;

    public EdgeStreamActor(string id, StreamServices services, Start start)
    {
        (_id, _services, _relayed) = (id, services, start is ForPeer);
        _createdAt = services.Clock.GetUtcNow();
        _sampled = (0, 0, 0, 0, services.Clock.GetTimestamp());
        _log = services.Logs.CreateLogger<EdgeStreamActor>();
        switch (start)
        {
            case ForClient client:
                (_access, _tunnelId, _source) = (client.Open.Access, client.Open.TunnelId, client.Open.Access.Request.SourceIp.ToString());
                OpeningForClient(client.Open, client.Requester);
                break;
            case ForPeer peer:
                (_client, _source) = (peer.Relay.FromPeer, peer.Relay.PeerAddress);
                OpeningForPeer(peer.Relay.FromPeer);
                break;
            case ForCarrier carrier:
                (_client, _source) = (carrier.Carried.Stream, carrier.Carried.Source.ToString());
                OpeningForCarrier(carrier.Carried);
                break;
            default: throw new ArgumentException($"unknown stream start {start}");
        }
    }

    protected override void PreStart()
    {
        Timers.StartSingleTimer("deadline", new Deadline($"no connection of the tunnel opened the stream within {OpenDeadline.TotalSeconds:0} s"), OpenDeadline);
    }

    private void OpeningForClient(OpenClientStream open, IActorRef requester)
    {
        _requester = requester;
        var access = open.Access;
        _services.Router.OpenAsync(new OpenPayload(access.Hostname, access.Identity, _services.Mux.StreamWindow, _id), open.TunnelId, localOnly: false,
                _handoff, _stopped.Token, access.Request)
            .PipeTo(Self, success: routed => new Routed(routed, access, open.TunnelId), failure: e => new RouteFailed(e.GetBaseException().Message));
        Receive<Routed>(routed =>
        {
            (_toOrigin, _connectionId) = (routed.Stream, routed.Stream.ConnectionId);
            _state = "awaiting client";
            requester.Tell(new ClientStreamReady(Self, _id));
            _requester = null; // answered
            Timers.StartSingleTimer("deadline", new Deadline($"the client did not take its stream within {AttachDeadline.TotalSeconds:0} s (requester gone)"), AttachDeadline);
            Become(() => AwaitingClient(open));
        });
        Receive<RouteFailed>(failed =>
        {
            StreamLog.Refused(_log, _id, access.Identity, access.Hostname, failed.Reason);
            requester.Tell(new StreamRefused(failed.Reason));
            _requester = null;
            Context.Stop(Self);
        });
        NotRelaying();
    }

    private void AwaitingClient(OpenClientStream open)
    {
        Receive<AttachClient>(attach =>
        {
            Timers.Cancel("deadline");
            _client = attach.Client;
            _services.Metrics.StreamOpened(_services.Clock.GetElapsedTime(open.RequestedAt));
            Audit(AuditKinds.SessionStart, $"{_access!.Hostname}: stream {_id}");
            StartRelay();
        });
        Receive<AbandonClient>(abandon =>
        {
            StreamLog.Abandoned(_log, _id, _access!.Identity, abandon.Reason);
            StopBecause(abandon.Reason);
        });
        NotRelaying();
    }

    private void OpeningForPeer(MuxStream fromPeer)
    {
        var (services, handoff, stopped) = (_services, _handoff, _stopped.Token);
        // Off the actor: the route lookup is a database query.
        Task.Run(async () =>
        {
            var (open, access) = services.Admission.Admit(fromPeer.Open);
            var route = services.Store.FindRoute(open.Hostname) ?? throw new StreamRouteException($"unknown hostname {open.Hostname}");
            return new Routed(await services.Router.OpenAsync(open, route.TunnelId, localOnly: true, handoff, stopped), access, route.TunnelId);
        }).PipeTo(Self, failure: e => new RouteFailed(e.GetBaseException().Message));
        Receive<Routed>(routed =>
        {
            (_access, _toOrigin, _connectionId, _tunnelId) = (routed.Access, routed.Stream, routed.Stream.ConnectionId, routed.TunnelId);
            StartRelay();
        });
        Receive<RouteFailed>(failed =>
        {
            StreamLog.Refused(_log, _id, "(relayed)", fromPeer.Open.Hostname, failed.Reason);
            fromPeer.Abort(new ProtocolException(ProtocolError.Refused, failed.Reason));
            Context.Stop(Self);
        });
        NotRelaying();
    }

    private void OpeningForCarrier(CarrierStream carried)
    {
        var (services, handoff, stopped, id, requested) = (_services, _handoff, _stopped.Token, _id, _services.Clock.GetTimestamp());
        var stream = carried.Stream;
        // Off the actor, in one task: who it is for (token, session and route lookups read the database), then the open.
        Task.Run(async () =>
        {
            var hostname = stream.Open.Hostname.ToLowerInvariant();
            if (!ClientCarrier.IsHostname(hostname)) throw new CarrierStreamRefused(400, "the stream's hostname is not a DNS name");
            var headers = ClientCarrier.DecodeCredential(stream.Open.Identity);
            var phase = services.Clock.GetTimestamp();
            var auth = await services.Authenticator.AuthenticateAsync(carried.Source, hostname, name => headers.GetValueOrDefault(name) ?? "");
            phase = Timed(services, StreamPhases.Authenticate, phase);
            if (!auth.Allowed) throw new CarrierStreamRefused(auth.Status, auth.Reason);
            var route = services.Store.FindRoute(hostname) ?? throw new CarrierStreamRefused(404, $"unknown hostname {hostname}: no tunnel routes it");
            phase = Timed(services, StreamPhases.RouteLookup, phase);
            var access = new StreamAccess(hostname, auth.Identity!, auth.Application?.Name, auth.Request!);
            var routed = await services.Router.OpenAsync(new OpenPayload(hostname, access.Identity, services.Mux.StreamWindow, id), route.TunnelId, localOnly: false,
                handoff, stopped, access.Request);
            Timed(services, StreamPhases.Open, phase);
            return new Routed(routed, access, route.TunnelId);
        }).PipeTo(Self, failure: e => e is CarrierStreamRefused refused
            ? new RouteFailed(refused.Message, refused.Status)
            : new RouteFailed(e.GetBaseException().Message, StatusCodeFor(e)));
        Receive<Routed>(routed =>
        {
            (_access, _tunnelId, _toOrigin, _connectionId) = (routed.Access, routed.TunnelId, routed.Stream, routed.Stream.ConnectionId);
            // Revocations that arrived while it was being decided (the replay of recent ones too) are matched now;
            // the stream just opened to the connector is reset with the rest in PostStop.
            if (_earlyRevocations.FirstOrDefault(Ends) is { } revoked)
            {
                Self.Tell(new RouteFailed(revoked.Reason, 403));
                return;
            }
            if (_earlyRevocationsOverflowed)
            {
                Self.Tell(new RouteFailed($"more than {MaxEarlyRevocations} revocations arrived while the stream was being decided; try again", 503));
                return;
            }
            _earlyRevocations.Clear();
            _services.Metrics.StreamOpened(_services.Clock.GetElapsedTime(requested));
            Audit(AuditKinds.SessionStart, $"{routed.Access.Hostname}: stream {_id} on carrier {carried.Carrier}");
            StartRelay();
        });
        Receive<RouteFailed>(failed =>
        {
            StreamLog.Refused(_log, _id, _access?.Identity ?? "(carrier)", _access?.Hostname ?? "(not a hostname)", failed.Reason);
            _services.Metrics.Refused(failed.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // The client logs the reason; its status (401, 403, 404, 502) leads, as in a WebSocket's refusal.
            stream.Abort(new ProtocolException(ProtocolError.Refused, $"{failed.Status}: {failed.Reason}"));
            StopBecause(failed.Reason); // a stream already opened to the connector is reset with it
        });
        Receive<AccessRevoked>(revoked =>
        {
            if (_access is null && _earlyRevocations.Count < MaxEarlyRevocations) _earlyRevocations.Add(revoked);
            else if (_access is null) _earlyRevocationsOverflowed = true;
            else if (_access is not null && Ends(revoked))
                StopBecause(revoked.Reason);
        });
        NotRelaying();
    }

    // Whether a revocation or policy change ends this stream (its access is known).
    private bool Ends(AccessRevoked revoked) =>
        revoked.Names(_access!) || (revoked.Scope == RevocationScope.Policies && NoLongerAdmitted() is not null);

    private static long Timed(StreamServices services, string phase, long since)
    {
        var now = services.Clock.GetTimestamp();
        services.Metrics.StreamPhase(phase, services.Clock.GetElapsedTime(since, now));
        return now;
    }

    private static int StatusCodeFor(Exception e) => e.GetBaseException() is ProtocolException { Error: ProtocolError.Refused } ? 400 : 502;

    // Before bytes flow, ending the stream is simply stopping: PostStop resets whatever was opened.
    private void NotRelaying()
    {
        Receive<Deadline>(deadline =>
        {
            StreamLog.Abandoned(_log, _id, _access?.Identity ?? "(relayed)", deadline.Reason);
            StopBecause(deadline.Reason);
        });
        Receive<CloseStream>(close =>
        {
            Sender.Tell(new StreamClosing(_id, _services.Node));
            StopBecause($"closed by an operator: {close.Reason}");
        });
        Receive<AccessRevoked>(revoked =>
        {
            if (_access is null) return;
            if (revoked.Names(_access)) StopBecause(revoked.Reason);
            else if (revoked.Scope == RevocationScope.Policies && NoLongerAdmitted() is { } why) StopBecause($"access no longer allowed: {why}");
        });
        CommonHandlers();
    }

    // The reason reaches the connector with the reset (PostStop).
    private void StopBecause(string reason)
    {
        _endReason = reason;
        Context.Stop(Self);
    }

    private void StartRelay()
    {
        Timers.Cancel("deadline");
        if (!_relayed) Timers.StartPeriodicTimer("recheck", new Recheck(), _services.RecheckInterval); // the client's edge checks; a relayed half follows it
        _state = "relaying";
        var (access, routed) = (_access!, _toOrigin!);
        StreamLog.Opened(_log, _id, access.Identity, _source, access.Hostname, access.Application, routed.ConnectionId, _tunnelId ?? "?", routed.EdgeNode);
        _relay = ByteRelay.Run(_client!, routed.Stream, Context.System.Materializer());
        _relay.Completion.PipeTo(Self, success: result => new RelayEnded(result, null), failure: e => new RelayEnded(null, e));
        Become(Relaying);
    }

    private void Relaying()
    {
        Receive<RelayEnded>(ended =>
        {
            _relayFinished = ended.Error is null;
            var outcome = _endReason is { } why ? $"ended: {why}"
                : ended.Error is { } error ? "aborted: " + error.GetBaseException().Message
                : "closed";
            var (toOrigin, toClient) = (_toOrigin!.Stream.BytesOut, _toOrigin.Stream.BytesIn);
            StreamLog.Ended(_log, _id, _access!.Identity, outcome, toOrigin, toClient);
            if (!_relayed)
            {
                _services.Metrics.StreamClosed(toOrigin, toClient);
                var seconds = (_services.Clock.GetUtcNow() - _createdAt).TotalSeconds;
                Audit(AuditKinds.SessionEnd, $"{_access.Hostname}: stream {_id} {outcome}; bytes_to_origin={toOrigin} bytes_to_client={toClient} duration_s={seconds:0.###}");
            }
            Context.Stop(Self);
        });
        Receive<CloseStream>(close =>
        {
            Sender.Tell(new StreamClosing(_id, _services.Node));
            End($"closed by an operator: {close.Reason}");
        });
        Receive<AccessRevoked>(revoked =>
        {
            var why = revoked.Names(_access!) ? revoked.Reason
                : revoked.Scope == RevocationScope.Policies && NoLongerAdmitted() is { } denial ? $"access no longer allowed ({revoked.Reason}): {denial}"
                : null;
            if (why is null) return;
            // The client's own edge ends it and tells the client why; the edge it is relayed to is the backstop.
            if (_relayed) Timers.StartSingleTimer("backstop", new Backstop(why), RelayBackstop);
            else End(why);
        });
        Receive<Backstop>(backstop => End(backstop.Reason));
        Receive<Recheck>(_ =>
        {
            var (request, services) = (_access!.Request, _services);
            Task.Run(() => new CredentialChecked(RevokedCredential(request, services)))
                .PipeTo(Self, failure: _ => new CredentialChecked(null)); // a database hiccup is not a revocation
        });
        Receive<CredentialChecked>(checkedNow =>
        {
            if (checkedNow.Revoked is { } why) End(why);
        });
        CommonHandlers();
    }

    private void CommonHandlers()
    {
        Receive<GetStreamSummary>(_ => Sender.Tell(Summary()));
    }

    /// <summary>Ends a relaying stream on purpose: both sides are told <paramref name="reason"/> where their carrier can carry it.</summary>
    private void End(string reason)
    {
        if (_endReason is not null) return;
        _endReason = reason;
        _state = "ending";
        StreamLog.Ending(_log, _id, _access!.Identity, _access.Application, reason);
        var ended = new StreamEndedException(reason);
        _client!.Abort(ended); // first: its Close frame (or RST) carries the reason before the graphs stop
        _relay?.Abort(ended);
    }

    /// <summary>Why the stream's session or service token is no longer good (revoked), or null. Runs off the actor: database reads.</summary>
    private static string? RevokedCredential(AccessRequest request, StreamServices services)
    {
        if (request.SessionId is { } session && services.Sessions.Find(session) is { Revoked: true } s) return $"session revoked: {s.RevokeReason}";
        if (request.ServiceTokenId is { } token && services.ServiceTokens.Find(token) is { Revoked: true } t) return $"service token '{t.Name}' revoked";
        return null;
    }

    /// <summary>Why this edge's policies no longer admit the stream, or null when they still do.</summary>
    private string? NoLongerAdmitted()
    {
        var access = _access!;
        var application = _services.Policies.Find(access.Hostname);
        if (application is null) return $"no Access application covers {access.Hostname} any more";
        var decision = PolicyEvaluator.Decide(application, access.Request);
        if (decision.Allowed) return null;
        Record(new AuditEvent(_services.Clock.GetUtcNow(), AuditKinds.Decision, application.Name, access.Identity, _source, false,
            decision.Policy, decision.Rule, $"{access.Hostname}: stream {_id} decided again after a policy change: {decision.Reason}"));
        return decision.Reason;
    }

    private StreamSummary Summary()
    {
        var stream = _toOrigin?.Stream;
        var (now, bytesOut, bytesIn) = (_services.Clock.GetTimestamp(), stream?.BytesOut ?? 0, stream?.BytesIn ?? 0);
        var seconds = _services.Clock.GetElapsedTime(_sampled.At, now).TotalSeconds;
        if (seconds >= RateWindow.TotalSeconds) // the first summary: since the stream began
            _sampled = (bytesOut, bytesIn, (bytesOut - _sampled.Out) / seconds, (bytesIn - _sampled.In) / seconds, now);
        return new StreamSummary(_id, _services.Node, _relayed ? "relayed" : "client", _state, _access?.Hostname ?? "?", _tunnelId, _connectionId,
            _access?.Identity ?? "?", _access?.Application, _access?.Credential ?? "?", _source, bytesOut, bytesIn,
            _sampled.RateOut, _sampled.RateIn, (int)(_services.Clock.GetUtcNow() - _createdAt).TotalSeconds, Flow());
    }

    // Each multiplexed side's flow control: which credit or reader a stalled transfer waits on.
    private string? Flow()
    {
        var sides = new List<string>(2);
        if (_toOrigin is { } origin) sides.Add($"origin side: {origin.Stream.DescribeFlow()}");
        if (_client is MuxStream client) sides.Add($"client side: {client.DescribeFlow()}");
        return sides.Count == 0 ? null : string.Join(" | ", sides);
    }

    private void Audit(string kind, string detail) =>
        Record(new AuditEvent(_services.Clock.GetUtcNow(), kind, _access!.Application, _access.Identity, _source, Detail: detail));

    // The audit log is a database write: off the actor, one after the other so that a stream's events keep their order.
    private void Record(AuditEvent auditEvent)
    {
        var (audit, log, id) = (_services.Audit, _log, _id);
        _audits = _audits.ContinueWith(_ =>
        {
            try { audit.Record(auditEvent); }
            catch (Exception e) { StreamLog.AuditFailed(log, id, auditEvent.Kind, e.GetBaseException().Message); }
        }, TaskScheduler.Default);
    }

    protected override void PostStop()
    {
        var reason = new StreamEndedException(_endReason ?? "the edge ended the stream");
        _stopped.Cancel();
        _handoff.Abandon(reason.Message);
        _requester?.Tell(new StreamRefused(reason.Message)); // ended while opening: the client hears why at once
        if (!_relayFinished)
        {
            _client?.Abort(reason); // first, as in End
            _relay?.Abort(reason);
            _toOrigin?.Stream.Abort(reason);
        }
        _stopped.Dispose();
    }
}
