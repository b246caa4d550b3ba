using System.Net.Sockets;
using Akka.Actor;
using Akka.Hosting;
using TunnelActors.Transport.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TunnelActors.Client.Listeners;
using TunnelActors.Client.Login;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Mux;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Hosting;

/// <summary>
/// Builds the `access tcp` process: one local listener per application (one, or several from
/// `--config`), and one carrier per set of edges that they all share. Binds every port up front so
/// a busy port fails fast with a clear error. Without a listen address it carries standard input
/// and output instead, logs to standard error, and exits when that one connection ends.
/// </summary>
public static class AccessTcpHost
{
    private static readonly TimeSpan DialTimeout = TimeSpan.FromSeconds(15);

    public static IHost Build(AccessTcpOptions options) => Build([options]);

    public static IHost Build(IReadOnlyList<AccessTcpOptions> applications)
    {
        var stdio = applications is [{ Listen: null }];
        var listeners = new List<(Socket? Socket, AccessTcpOptions Options, IClientCredentials Credentials)>();
        try
        {
            foreach (var options in applications)
                listeners.Add((options.Listen is { } address ? Bind(address) : null, options, Credentials(options, stdio ? Console.Error : Console.Out)));
        }
        catch
        {
            foreach (var (socket, _, _) in listeners) socket?.Dispose();
            throw;
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.AddRoleConsole(toStandardError: stdio);
        builder.Services.AddRoleService("tunnelactors-access");
        builder.Services.AddIdleMemoryTrimmer();
        builder.Services.AddAkka("tunnelactors-access", akka => akka
            .WithRoleDefaults()
            // Standard output is the ssh session's: Akka's own console logger (before and after the host's) stays silent.
            .AddHocon(stdio ? "akka.stdout-loglevel = OFF" : "", HoconAddMode.Prepend)
            .WithActors((system, _, resolver) =>
            {
                var lifetime = resolver.GetService<IHostApplicationLifetime>();
                var carriers = new Dictionary<string, (EdgeFailover Edges, IActorRef? Carrier)>();
                (EdgeFailover, IActorRef?) EdgesFor(AccessTcpOptions options)
                {
                    // Listeners with the same edges and trust share one failover order and one carrier.
                    var key = $"{string.Join(" ", options.Edges)}|{options.CaFile}|{options.Carrier}";
                    if (carriers.TryGetValue(key, out var shared)) return shared;
                    var edges = new EdgeFailover(options.Edges.Select(e => new EdgeDialer(e, options.CaFile, DialTimeout)).ToList(),
                        resolver.GetService<ILoggerFactory>().CreateLogger<EdgeFailover>());
                    var carrier = options.Carrier == CarrierKind.Mux
                        ? system.ActorOf(Props.Create(() => new EdgeCarrierActor(edges, options.CarrierTimings, MuxOptions.Default)), $"carrier-{carriers.Count}")
                        : null;
                    return carriers[key] = (edges, carrier);
                }

                var started = new List<IActorRef>();
                for (var i = 0; i < listeners.Count; i++)
                {
                    var (socket, options, credentials) = listeners[i];
                    var (edges, carrier) = EdgesFor(options);
                    if (carrier is not null) started.Add(carrier);
                    if (socket is null)
                    {
                        var channel = StreamPairChannel.StandardInputOutput();
                        var connection = system.ActorOf(Props.Create(() => new ClientConnectionActor(channel, "stdin", options, edges, credentials, carrier)), "stdio");
                        system.ActorOf(Props.Create(() => new StopWhenDone(connection, lifetime)), "stdio-watch");
                        continue;
                    }
                    started.Add(system.ActorOf(Props.Create(() => new LocalListenerActor(socket, options, credentials, edges, carrier)), i == 0 ? "listener" : $"listener-{i}"));
                }
                system.ActorOf(Props.Create(() => new RoleSentinel(started.Distinct().ToList(), lifetime)), "sentinel");
            }));
        return builder.Build();
    }

    private static IClientCredentials Credentials(AccessTcpOptions options, TextWriter prompts)
    {
        if (options.ServiceTokenId is { Length: > 0 } id && options.ServiceTokenSecret is { Length: > 0 } secret) return new ServiceTokenCredentials(id, secret);
        var cache = new TokenCache(options.TokenDirectory, TimeProvider.System);
        return new UserTokenCredentials(options.Hostname, cache, new AccessLogin(options.Edge, options.CaFile, cache, prompts), options.OpenBrowser);
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

    /// <summary>Standard input and output are one connection: when it ends, so does the process.</summary>
    private sealed class StopWhenDone : ReceiveActor
    {
        public StopWhenDone(IActorRef connection, IHostApplicationLifetime lifetime)
        {
            Context.Watch(connection);
            Receive<Terminated>(_ => lifetime.StopApplication());
        }
    }
}
