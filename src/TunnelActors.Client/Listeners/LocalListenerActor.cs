using Microsoft.Extensions.Logging;
using TunnelActors.Transport.Hosting;
using System.Net.Sockets;
using Akka.Actor;
using TunnelActors.Client.Hosting;
using TunnelActors.Client.Login;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// Listens on the local port and starts a <see cref="ClientConnectionActor"/> per accepted
/// socket. Accepts one at a time via PipeTo; stops accepting while at the connection limit.
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
    private bool _accepting;

    private readonly IClientCredentials _credentials;

    public LocalListenerActor(Socket listener, AccessTcpOptions options, IClientCredentials credentials)
    {
        (_listener, _options, _credentials) = (listener, options, credentials);
        _edges = new EdgeFailover(options.Edges.Select(e => new EdgeDialer(e, options.CaFile, TimeSpan.FromSeconds(15))).ToList());

        Receive<Accepted>(a =>
        {
            _accepting = false;
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
        Receive<Terminated>(_ => AcceptNext());
    }

    protected override void PreStart()
    {
        ClientLog.Listening(_log, _listener.LocalEndPoint, _options.Hostname, string.Join(", ", _options.Edges));
        AcceptNext();
    }

    protected override void PostStop() => _listener.Dispose();

    // A connection that fails affects only its own socket.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void AcceptNext()
    {
        if (_accepting || Context.GetChildren().Count() >= _options.MaxConnections) return;
        _accepting = true;
        _listener.AcceptAsync().PipeTo(Self, success: s => new Accepted(s), failure: e => new AcceptFailed(e.Message));
    }
}
