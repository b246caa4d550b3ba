using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace TunnelActors.Transport.Hosting;

/// <summary>
/// /metrics for every role: the role's own <see cref="Meter"/> plus .NET runtime (GC, heap, thread
/// pool, JIT, locks) and process (CPU, RSS, threads) metrics, read by OpenTelemetry and served in
/// Prometheus' text format. The role's instruments are named as Prometheus will show them
/// (tunnelactors_edge_streams_open), so the names operators and alert rules use stay put.
/// </summary>
public static class Telemetry
{
    /// <summary>Registers the exporter for <paramref name="meters"/> and the runtime's and process' meters; <paramref name="role"/> names the service in target_info.</summary>
    public static IServiceCollection AddRoleMetrics(this IServiceCollection services, string role, params string[] meters)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService($"tunnelactors-{role}", serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"))
            .WithMetrics(metrics => metrics
            .AddMeter(meters)
            .AddRuntimeInstrumentation()
            .AddProcessInstrumentation()
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // each scrape sees the counters as they are now
        return services;
    }

    /// <summary>Serves what <see cref="AddRoleMetrics"/> collects at /metrics.</summary>
    public static IEndpointConventionBuilder MapRoleMetrics(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPrometheusScrapingEndpoint("/metrics");

    /// <summary>Bucket bounds for a histogram, as its instrument's advice (the exporter uses them instead of its defaults).</summary>
    public static InstrumentAdvice<double> Buckets(params double[] bounds) => new() { HistogramBucketBoundaries = bounds };
}
