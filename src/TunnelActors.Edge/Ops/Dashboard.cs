using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TunnelActors.Edge.Ops;

/// <summary>
/// The operators' dashboard at `/dashboard`: one page, its script and stylesheet, embedded in
/// this assembly (no CDN, works offline). It holds no data of its own: the script polls the
/// admin API with the operator's admin token.
/// </summary>
public static class Dashboard
{
    private static readonly (string Path, string Resource, string ContentType)[] Assets =
    [
        ("/dashboard", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/dashboard/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public static void MapDashboard(this WebApplication app)
    {
        foreach (var (path, resource, contentType) in Assets)
        {
            var content = Load(resource);
            app.MapGet(path, (HttpContext context) =>
            {
                // Only our own script and styles, no framing, no inline code: the page handles an admin token.
                context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(content, contentType);
            });
        }
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(Dashboard).Assembly.GetManifestResourceStream($"TunnelActors.Edge.Dashboard.{name}")
            ?? throw new InvalidOperationException($"dashboard asset {name} is not embedded");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
