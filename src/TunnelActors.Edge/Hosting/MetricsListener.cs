using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// The plain-HTTP `--metrics` listener serves metrics and health only, and the public port never
/// serves metrics. Decided by the port the connection arrived on — never by the Host header,
/// which the client writes.
/// </summary>
public static class MetricsListener
{
    private static readonly string[] MetricsPaths = ["/metrics", "/healthcheck", "/ready"];

    public static void UseMetricsListenerSplit(this WebApplication app, int metricsPort) => app.Use(async (context, next) =>
    {
        var onMetricsPort = context.Connection.LocalPort == metricsPort;
        var path = context.Request.Path.Value ?? "";
        var metricsPath = MetricsPaths.Contains(path.TrimEnd('/'), StringComparer.OrdinalIgnoreCase);
        var isMetrics = string.Equals(path.TrimEnd('/'), "/metrics", StringComparison.OrdinalIgnoreCase);
        if (onMetricsPort ? metricsPath : !isMetrics)
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        await context.Response.WriteAsync(onMetricsPort
            ? $"the metrics listener serves only {string.Join(", ", MetricsPaths)}\n"
            : "metrics are served on the --metrics listener only\n");
    });
}
