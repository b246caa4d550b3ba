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

/// <summary>Builds the `access tcp` process. Binds the port up front so a busy port fails fast with a clear error.</summary>
public static class AccessTcpHost
{
    public static IHost Build(AccessTcpOptions options)
    {
        var cache = new TokenCache(options.TokenDirectory, TimeProvider.System);
        IClientCredentials credentials = options.ServiceTokenId is { Length: > 0 } id && options.ServiceTokenSecret is { Length: > 0 } secret
            ? new ServiceTokenCredentials(id, secret)
            : new UserTokenCredentials(options.Hostname, cache, new AccessLogin(options.Edge, options.CaFile, cache, Console.Out), options.OpenBrowser);
        var listener = new Socket(options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(options.Listen);
            listener.Listen(512);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new InvalidOperationException($"cannot listen on {options.Listen}: {e.Message} (is another program using the port? pick another with --url)", e);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddRoleConsole();
        builder.Services.AddAkka("tunnelactors-access", akka => akka
            .WithRoleDefaults()
            .WithActors((system, _) => system.ActorOf(Props.Create(() => new LocalListenerActor(listener, options, credentials)), "listener")));
        return builder.Build();
    }
}
