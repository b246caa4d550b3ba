using Akka.Hosting;
using Microsoft.Extensions.Logging;

namespace TunnelActors.Transport.Hosting;

/// <summary>What every role's process (edge, connector, access client) sets up the same way.</summary>
public static class RoleDefaults
{
    /// <summary>Set to "json" (by `--log-format json`) for one JSON object per log event, with its structured fields.</summary>
    public const string LogFormatVariable = "TUNNELACTORS_LOG_FORMAT";

    /// <summary>One line per event with a timestamp (or JSON when asked); framework chatter only from warnings up.</summary>
    /// <summary>Logs to the console; <paramref name="toStandardError"/> keeps standard output free for data (ssh's ProxyCommand).</summary>
    public static ILoggingBuilder AddRoleConsole(this ILoggingBuilder logging, bool toStandardError = false)
    {
        logging.ClearProviders();
        if (Environment.GetEnvironmentVariable(LogFormatVariable) == "json")
            logging.AddJsonConsole(o => { o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; o.UseUtcTimestamp = true; });
        else
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        if (toStandardError) logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
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
        // CoordinatedShutdown itself when the host stops. Top-level actors own sockets and
        // listeners: one that fails is stopped, never restarted around a disposed socket, and the
        // role's RoleSentinel then restarts the process. The scheduler ticks every 50 ms, not 10: each
        // tick wakes a thread-pool thread, which then spins before it sleeps, and at 10 ms an idle
        // process burnt 5-6 % of a core (1.5-2 % now: ops/bench/latency.sh). Every timer here is 200 ms or longer.
        .AddHocon("""
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            akka.actor.guardian-supervisor-strategy = "Akka.Actor.StoppingSupervisorStrategy"
            akka.scheduler.tick-duration = 50ms
            """, HoconAddMode.Prepend);
}
