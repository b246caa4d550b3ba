using System.Net;
using System.Net.Sockets;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>
/// A TCP relay in front of a port that can make the path of every connection it carries go
/// silent without closing it — packets dropped, as after a laptop changes network or a NAT
/// forgets its mapping — while connections made afterwards pass again.
/// </summary>
public sealed class BlackHoleRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = new();
    private readonly int _target;

    private sealed class Connection(Socket client, Socket server)
    {
        public volatile bool Silenced;
        public Socket Client { get; } = client;
        public Socket Server { get; } = server;
    }

    public BlackHoleRelay(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections the relay has carried.</summary>
    public int Accepted { get; private set; }

    /// <summary>Every connection open now forwards nothing from here on (both directions), and stays open.</summary>
    public int BlackHoleExisting()
    {
        lock (_connections)
        {
            foreach (var c in _connections) c.Silenced = true;
            return _connections.Count;
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try { await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token); }
            catch (Exception)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            var connection = new Connection(client, server);
            lock (_connections) _connections.Add(connection);
            Accepted++;
            _ = Pump(connection, client, server);
            _ = Pump(connection, server, client);
        }
    }

    private async Task Pump(Connection connection, Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0) break;
                if (connection.Silenced) continue; // dropped on the floor: the sender's TCP thinks they went out
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
            }
            if (!connection.Silenced) to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception) when (connection.Silenced || _stop.IsCancellationRequested) { }
        catch (Exception)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_connections)
            foreach (var c in _connections)
            {
                c.Client.Dispose();
                c.Server.Dispose();
            }
        return ValueTask.CompletedTask;
    }
}
