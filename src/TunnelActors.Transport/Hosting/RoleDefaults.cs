using Akka.Hosting;
using Microsoft.Extensions.Logging;

namespace TunnelActors.Transport.Hosting;

/// <summary>What every role's process (edge, connector, access client) sets up the same way.</summary>
public static class RoleDefaults
{
    /// <summary>One line per event with a timestamp; framework chatter only from warnings up.</summary>
    public static ILoggingBuilder AddRoleConsole(this ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        return logging;
    }

    /// <summary>Akka logs through Microsoft.Extensions.Logging, and the host (not a CLR exit hook) stops Akka.</summary>
    public static AkkaConfigurationBuilder WithRoleDefaults(this AkkaConfigurationBuilder akka) => akka
        .ConfigureLoggers(l =>
        {
            l.LogLevel = Akka.Event.LogLevel.InfoLevel;
            l.ClearLoggers();
            l.AddLoggerFactory();
        })
        // SIGTERM must reach the host first so connectors can drain; Akka.Hosting runs
        // CoordinatedShutdown itself when the host stops.
        .AddHocon("akka.coordinated-shutdown.run-by-clr-shutdown-hook = off", HoconAddMode.Prepend);
}
