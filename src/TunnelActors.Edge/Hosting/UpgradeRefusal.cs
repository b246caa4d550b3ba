using Microsoft.AspNetCore.Http;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// A WebSocket upgrade refused: the status, and the reason both in the body and in the header
/// the dialling side quotes (<see cref="Transport.Tls.EdgeDialer.ErrorHeader"/>).
/// </summary>
public static class UpgradeRefusal
{
    public static Task WriteAsync(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[Transport.Tls.EdgeDialer.ErrorHeader] = reason;
        return context.Response.WriteAsync(reason + "\n");
    }
}
