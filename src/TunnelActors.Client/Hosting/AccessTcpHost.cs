using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using TunnelActors.Transport.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TunnelActors.Client.Listeners;
using TunnelActors.Client.Login;

namespace TunnelActors.Client.Hosting;

/// <summary>
/// Builds the `access tcp` process: one local listener per application (one, or several from
/// `--config`). Binds every port up front so a busy port fails fast with a clear error.
/// </summary>
public static class AccessTcpHost
{
    public static IHost Build(AccessTcpOptions options) => Build([options]);

    public static IHost Build(IReadOnlyList<AccessTcpOptions> applications)
    {
        var listeners = new List<(Socket Socket, AccessTcpOptions Options, IClientCredentials Credentials)>();
        try
        {
            foreach (var options in applications) listeners.Add((Bind(options.Listen), options, Credentials(options)));
        }
        catch
        {
            foreach (var (socket, _, _) in listeners) socket.Dispose();
            throw;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddRoleConsole();
        builder.Services.AddIdleMemoryTrimmer();
        builder.Services.AddAkka("tunnelactors-access", akka => akka
            .WithRoleDefaults()
            .WithActors((system, _, resolver) =>
            {
                var started = new List<IActorRef>();
                for (var i = 0; i < listeners.Count; i++)
                {
                    var (socket, options, credentials) = listeners[i];
                    started.Add(system.ActorOf(Props.Create(() => new LocalListenerActor(socket, options, credentials)), i == 0 ? "listener" : $"listener-{i}"));
                }
                system.ActorOf(Props.Create(() => new RoleSentinel(started, resolver.GetService<IHostApplicationLifetime>())), "sentinel");
            }));
        return builder.Build();
    }

    private static IClientCredentials Credentials(AccessTcpOptions options)
    {
        if (options.ServiceTokenId is { Length: > 0 } id && options.ServiceTokenSecret is { Length: > 0 } secret) return new ServiceTokenCredentials(id, secret);
        var cache = new TokenCache(options.TokenDirectory, TimeProvider.System);
        return new UserTokenCredentials(options.Hostname, cache, new AccessLogin(options.Edge, options.CaFile, cache, Console.Out), options.OpenBrowser);
    }

    private static Socket Bind(System.Net.IPEndPoint address)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(address);
            listener.Listen(512);
            return listener;
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new InvalidOperationException($"cannot listen on {address}: {e.Message} (is another program using the port? pick another with --url)", e);
        }
    }
}
