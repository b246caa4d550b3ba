using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net.Sockets;
using Akka.Actor;
using TunnelActors.Client.Hosting;
using TunnelActors.Client.Login;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;

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
    private readonly IActorRef? _carrier;

    public LocalListenerActor(Socket listener, AccessTcpOptions options, IClientCredentials credentials, EdgeFailover edges, IActorRef? carrier)
    {
        (_listener, _options, _credentials, _edges, _carrier) = (listener, options, credentials, edges, carrier);

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
            var peer = a.Socket.RemoteEndPoint?.ToString() ?? "?";
            var local = SocketChannel.Wrap(a.Socket);
            var child = Context.ActorOf(ActorProps.Of(() => new ClientConnectionActor(local, peer, _options, _edges, _credentials, _carrier)), $"conn-{++_accepted}");
            Context.Watch(child);
            AcceptNext();
        });
        Receive<AcceptFailed>(f =>
        {
            _accepting = false;
            ClientLog.AcceptFailed(_log, _options.Listen!, f.Reason);
            AcceptNext();
        });
        Receive<Terminated>(_ => _open--);
    }

    protected override void PreStart()
    {
        ClientLog.Listening(_log, _listener.LocalEndPoint, _options.Hostname, _edges.Describe);
        AcceptNext();
    }

    protected override void PostStop() => _listener.Dispose();

    // A connection that fails affects only its own socket.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void Refuse(Socket socket)
    {
        if (_limitLog.TryTake(out var suppressed))
            ClientLog.AtConnectionLimit(_log, _options.Listen!, _options.Hostname, _open, suppressed);
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
