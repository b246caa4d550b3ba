using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net.Sockets;
using Akka.Actor;
using TunnelActors.Client.Hosting;
using TunnelActors.Client.Login;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// Listens on the local port and starts a <see cref="ClientConnectionActor"/> per accepted
/// socket. Accepts one at a time via PipeTo. At the connection limit a new connection is
/// refused at once (reset, with a rate-limited log line naming the limit), never left waiting
/// in the backlog.
/// </summary>
public sealed class LocalListenerActor : ReceiveActor
{
    private sealed record Accepted(Socket Socket);
    private sealed record AcceptFailed(string Reason);

    private readonly Socket _listener;
    private readonly AccessTcpOptions _options;
    private readonly EdgeFailover _edges;
    private readonly ILogger _log = Context.Logger<LocalListenerActor>();
    private long _accepted;
    private int _open;
    private bool _accepting;
    private readonly LogBudget _limitLog = new(1, TimeSpan.FromSeconds(10));

    private readonly IClientCredentials _credentials;

    public LocalListenerActor(Socket listener, AccessTcpOptions options, IClientCredentials credentials)
    {
        (_listener, _options, _credentials) = (listener, options, credentials);
        _edges = new EdgeFailover(options.Edges.Select(e => new EdgeDialer(e, options.CaFile, TimeSpan.FromSeconds(15))).ToList());

        Receive<Accepted>(a =>
        {
            _accepting = false;
            if (_open >= _options.MaxConnections)
            {
                Refuse(a.Socket);
                AcceptNext();
                return;
            }
            _open++;
            var child = Context.ActorOf(Props.Create(() => new ClientConnectionActor(a.Socket, _options, _edges, _credentials)), $"conn-{++_accepted}");
            Context.Watch(child);
            AcceptNext();
        });
        Receive<AcceptFailed>(f =>
        {
            _accepting = false;
            ClientLog.AcceptFailed(_log, _options.Listen, f.Reason);
            AcceptNext();
        });
        Receive<Terminated>(_ => _open--);
    }

    protected override void PreStart()
    {
        ClientLog.Listening(_log, _listener.LocalEndPoint, _options.Hostname, string.Join(", ", _options.Edges));
        AcceptNext();
    }

    protected override void PostStop() => _listener.Dispose();

    // A connection that fails affects only its own socket.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Refuse(Socket socket)
    {
        if (_limitLog.TryTake(out var suppressed))
            ClientLog.AtConnectionLimit(_log, _options.Listen, _options.Hostname, _open, suppressed);
        try { socket.LingerState = new LingerOption(true, 0); } // a reset: the local client fails at once
        catch (SocketException) { } // it already went away: closing is all that is left
        socket.Dispose();
    }

    private void AcceptNext()
    {
        if (_accepting) return;
        _accepting = true;
        _listener.AcceptAsync().PipeTo(Self, success: s => new Accepted(s), failure: e => new AcceptFailed(e.Message));
    }
}
