using System.Net.WebSockets;
using Akka.Actor;
using Microsoft.Extensions.Logging;
using TunnelActors.Protocol;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Hosting;
using TunnelActors.Transport.Mux;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// The one multiplexed connection `access tcp` keeps to the edge (every listener with the same
/// edges shares it): each local connection is a stream on it, so a new connection costs no TCP,
/// TLS or upgrade round trip. Liveness is its own: a PING every <see cref="CarrierTimings.PingInterval"/>;
/// a carrier silent for <see cref="CarrierTimings.SuspectAfter"/> (a path that stopped forwarding, a
/// frozen edge, a laptop on another network) takes no new stream — a new carrier is dialled at once,
/// preferring the next edge — and is cut after <see cref="CarrierTimings.DeadAfter"/>, failing its
/// streams with the reason; one that recovers meanwhile carries its streams to their end. After a
/// failed dial it redials in the background with capped exponential backoff and jitter, and at once
/// when a connection asks. An edge that does not offer the carrier (an older version) is answered
/// with one WebSocket per connection, and asked again after <see cref="CarrierTimings.ProbeAgainAfter"/>.
/// </summary>
public sealed class EdgeCarrierActor : ReceiveActor, IWithTimers
{
    private const int MaxPending = 1024;

    private sealed record Dialled(int Generation, ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers, Uri Edge);
    private sealed record DialFailed(int Generation, Exception Error);
    private sealed record CarrierEnded(int Generation, Exception? Error);
    private sealed record Tick;
    private sealed record Redial;
    private sealed record ProbeAgain;

    private sealed record Link(int Generation, MuxConnection Mux, Uri Edge, string Name, long UpAt);

    // A carrier that ended sooner than this after coming up counts as a failed dial: redials back off.
    private static readonly TimeSpan HealthyAfter = TimeSpan.FromSeconds(10);

    private readonly ILogger _log = Context.Logger<EdgeCarrierActor>();
    private readonly EdgeFailover _edges;
    private readonly CarrierTimings _timings;
    private readonly MuxOptions _mux;
    private readonly List<(IActorRef ReplyTo, OpenCarrierStream Open)> _pending = new();
    private readonly List<Link> _retiring = new(); // no new streams; closed when their streams are done, cut when silent too long
    private readonly Random _jitter = new();
    private Link? _current;
    private OpenCarrierStream? _last; // the newest request: its credential dials in the background
    private int _generation;
    private int _failures;
    private string? _dialledFor; // the hostname whose credential the dial in flight presents

    public EdgeCarrierActor(EdgeFailover edges, CarrierTimings timings, MuxOptions mux)
    {
        (_edges, _timings, _mux) = (edges, timings, mux);
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", new Tick(), _timings.PingInterval);

    private void Idle()
    {
        Receive<OpenCarrierStream>(open =>
        {
            Queue(open, Sender);
            Dial(open);
        });
        Receive<Redial>(_ =>
        {
            if (_last is { } last) Dial(last);
        });
        Common();
    }

    private void Dialling()
    {
        Receive<OpenCarrierStream>(open => Queue(open, Sender));
        Receive<Dialled>(d => d.Generation == _generation, d =>
        {
            var offered = d.Headers.TryGetValue(ClientCarrier.OfferHeader, out var values) && values.Contains(ClientCarrier.Version);
            if (!offered)
            {
                // An older edge took the path for an ordinary stream: send nothing on it.
                d.Socket.Abort();
                d.Socket.Dispose();
                ClientLog.CarrierNotOffered(_log, d.Edge.ToString(), _timings.ProbeAgainAfter.TotalMinutes);
                AnswerPending(new CarrierUnavailable($"edge {d.Edge} offers no multiplexed carrier", UseWebSocket: true));
                Timers.StartSingleTimer("probe", new ProbeAgain(), _timings.ProbeAgainAfter);
                Become(Unsupported);
                return;
            }
            // The edge's id for the carrier: stream ids built from it are the ones the edge logs.
            var name = d.Headers.TryGetValue(ClientCarrier.CarrierIdHeader, out var id) && string.Join("", id) is { Length: > 0 and <= 100 } given
                ? given : $"{d.Edge.Authority}#{d.Generation}";
            var mux = MuxLink.Start(Context, $"carrier-{name}", _mux, new WebSocketChannel(d.Socket), e => new CarrierEnded(d.Generation, e));
            _current = new Link(d.Generation, mux, d.Edge, name, System.Diagnostics.Stopwatch.GetTimestamp());
            ClientLog.CarrierUp(_log, name);
            Become(Linked);
            foreach (var (replyTo, open) in _pending) OpenOn(_current, open, replyTo);
            _pending.Clear();
        });
        Receive<DialFailed>(f => f.Generation == _generation && f.Error is Transport.Tls.EdgeRefusedException { Status: 401 or 403 } && _dialledFor is not null, f =>
        {
            // The carrier is authenticated with one waiting connection's credential: one the edge refuses fails that
            // application's connections only; the carrier is dialled again with another's.
            var refused = _dialledFor!;
            var reason = f.Error.GetBaseException().Message;
            foreach (var (replyTo, _) in _pending.Where(p => p.Open.Hostname == refused)) replyTo.Tell(new CarrierUnavailable(reason, UseWebSocket: false));
            _pending.RemoveAll(p => p.Open.Hostname == refused);
            if (_last?.Hostname == refused) _last = _pending.Count > 0 ? _pending[^1].Open : null;
            if (_pending.Count > 0) Dial(_pending[0].Open);
            else Become(Idle);
        });
        Receive<DialFailed>(f => f.Generation == _generation, f =>
        {
            var reason = f.Error.GetBaseException().Message;
            var delay = Backoff();
            _failures++;
            ClientLog.CarrierDialFailed(_log, _edges.Describe, reason, delay.TotalSeconds);
            AnswerPending(new CarrierUnavailable(reason, UseWebSocket: false));
            // A refused credential is not retried in the background: the next connection brings a fresh one.
            if (f.Error is not Transport.Tls.EdgeRefusedException { Status: 401 or 403 or 404 }) Timers.StartSingleTimer("redial", new Redial(), delay);
            Become(Idle);
        });
        Common();
    }

    private void Linked()
    {
        Receive<OpenCarrierStream>(open =>
        {
            _last = open;
            if (_current!.Mux.StreamCount >= ClientCarrier.MaxStreams)
                Sender.Tell(new CarrierUnavailable($"the carrier holds {ClientCarrier.MaxStreams} streams, the edge's limit", UseWebSocket: true));
            else OpenOn(_current, open, Sender);
        });
        Receive<MuxControlFrame>(m =>
        {
            // The edge is draining: new streams go on a new carrier (the draining edge refuses it: the next edge answers).
            if (m.Frame.Type == FrameType.GoAway && _current is { Mux.GoingAway: true } current) Retire(current, "the edge is shutting down");
        });
        Common();
    }

    private void Unsupported()
    {
        Receive<OpenCarrierStream>(_ => Sender.Tell(new CarrierUnavailable("the edge offers no multiplexed carrier", UseWebSocket: true)));
        Receive<ProbeAgain>(_ => Become(Idle));
        Common();
    }

    private void Common()
    {
        Receive<Tick>(_ => CheckLiveness());
        Receive<CarrierEnded>(ended =>
        {
            var link = _current?.Generation == ended.Generation ? _current : _retiring.Find(l => l.Generation == ended.Generation);
            if (link is null) return;
            if (ended.Error is null) ClientLog.CarrierClosed(_log, link.Name);
            else ClientLog.CarrierLost(_log, link.Name, ended.Error.GetBaseException().Message);
            _retiring.Remove(link);
            if (link != _current) return;
            _current = null;
            Become(Idle);
            if (_last is null || ended.Error is null) return; // closed cleanly: the next connection dials
            // Ready for the next connection: at once after a carrier that served a while, after a backoff after one that did not.
            if (System.Diagnostics.Stopwatch.GetElapsedTime(link.UpAt) >= HealthyAfter) _failures = 0;
            if (_failures == 0) Dial(_last);
            else Timers.StartSingleTimer("redial", new Redial(), Backoff());
            _failures++;
        });
        // Stale answers of an earlier generation: a dial that lost the race is closed.
        Receive<Dialled>(d => d.Socket.Dispose());
        Receive<DialFailed>(_ => { });
        Receive<Redial>(_ => { });
        Receive<ProbeAgain>(_ => { });
        Receive<MuxStreamOpened>(m => m.Stream.Abort(new ProtocolException(ProtocolError.StreamState, "streams on a client carrier are opened by the client")));
        Receive<MuxStreamError>(_ => { });
        Receive<MuxControlFrame>(_ => { });
    }

    private void CheckLiveness()
    {
        foreach (var link in _retiring.ToList())
        {
            if (link.Mux.StreamCount == 0) link.Mux.Close(ProtocolError.None, "replaced by a new carrier");
            else if (link.Mux.KeepAlive(_timings.DeadAfter, $"edge {link.Edge}") is { } cut) ClientLog.CarrierSilent(_log, link.Name, cut);
        }
        if (_current is not { } current) return;
        if (current.Mux.SinceLastFrame > _timings.SuspectAfter)
        {
            _edges.Avoid(current.Edge);
            Retire(current, $"no answer for {current.Mux.SinceLastFrame.TotalSeconds:0.0} s");
            return;
        }
        current.Mux.KeepAlive(_timings.DeadAfter, $"edge {current.Edge}");
    }

    // The current carrier takes no new stream: its own streams go on, and a new carrier is dialled now.
    private void Retire(Link link, string why)
    {
        ClientLog.CarrierRetired(_log, link.Name, why, link.Mux.StreamCount);
        _retiring.Add(link);
        _current = null;
        Become(Idle);
        if (_last is { } last) Dial(last);
    }

    private void Dial(OpenCarrierStream open)
    {
        var generation = ++_generation;
        _dialledFor = open.Hostname;
        _edges.ConnectAsync(ClientCarrier.Path, open.Hostname, open.Headers, CancellationToken.None)
            .PipeTo(Self, success: c => new Dialled(generation, c.Socket, c.Headers, c.Edge), failure: e => new DialFailed(generation, e));
        Become(Dialling);
    }

    private void Queue(OpenCarrierStream open, IActorRef replyTo)
    {
        _last = open;
        if (_pending.Count >= MaxPending) replyTo.Tell(new CarrierUnavailable($"the carrier is still connecting with {MaxPending} connections waiting", UseWebSocket: true));
        else _pending.Add((replyTo, open));
    }

    private void AnswerPending(CarrierUnavailable answer)
    {
        foreach (var (replyTo, _) in _pending) replyTo.Tell(answer);
        _pending.Clear();
    }

    private TimeSpan Backoff()
    {
        var ceiling = Math.Min(_timings.MaxBackoff.TotalMilliseconds, _timings.FirstBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + _jitter.NextDouble() * ceiling / 2); // jitter: clients that lost one edge do not redial in step
    }

    private void OpenOn(Link link, OpenCarrierStream open, IActorRef replyTo)
    {
        string credential;
        try { credential = ClientCarrier.EncodeCredential(open.Headers); }
        catch (ArgumentException e)
        {
            replyTo.Tell(new CarrierUnavailable(e.Message, UseWebSocket: true));
            return;
        }
        // A stream nobody takes any more (its connection ended meanwhile) is reset by the handoff, not left open.
        // One the carrier cannot open (draining, closing, out of ids) goes over a WebSocket of its own.
        link.Mux.OpenStreamAsync(new OpenPayload(open.Hostname, credential, _mux.StreamWindow), CancellationToken.None)
            .PipeTo(replyTo, success: stream => open.Handoff.Deliver(stream)
                    ? new CarrierStreamOpened(stream, ClientCarrier.StreamId(link.Name, stream.Id))
                    : new CarrierUnavailable("the connection ended", UseWebSocket: false),
                failure: e => new CarrierUnavailable($"carrier {link.Name}: {e.GetBaseException().Message}", UseWebSocket: true));
    }

    protected override void PostStop()
    {
        var stopped = new IOException("access client stopped");
        _current?.Mux.Abort(stopped);
        foreach (var link in _retiring) link.Mux.Abort(stopped);
    }
}

/// <summary>How the client's carrier checks its path and redials (the defaults are in the README's "One carrier, and ssh").</summary>
public sealed record CarrierTimings
{
    /// <summary>A PING this often (default 0.5 s: 14 bytes each way).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Silent this long (default 1.5 s: three PINGs unanswered), the carrier takes no new stream and a new one is dialled; a false alarm costs one dial.</summary>
    public TimeSpan SuspectAfter { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Silent this long (default 10 s), the carrier is cut and its streams fail; shorter would end transfers over a brief outage.</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After a failed dial, the background redial waits this (default 0.5 s), doubling up to <see cref="MaxBackoff"/> (30 s), with jitter.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>An edge that offered no carrier is asked again after this (default 5 min).</summary>
    public TimeSpan ProbeAgainAfter { get; init; } = TimeSpan.FromMinutes(5);
}
