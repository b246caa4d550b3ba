using TunnelActors.Access.Login;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TunnelActors.Access.Certificates;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Tunnels;

/// <summary>
/// `/cdn-cgi/tunnel/api/...` — what `tunnel create / route dns / list / info / delete` call.
/// Every request is signed with the zone's origin certificate (<see cref="OriginRequestSignature"/>)
/// and acts only inside that zone; answers are JSON, errors `{"error": "..."}` naming the cause.
/// </summary>
public static partial class NamedTunnelApi
{
    public const string Prefix = "/cdn-cgi/tunnel/api";
    private const string ZoneItem = "tunnel-api-zone";
    private const string BodyItem = "tunnel-api-body";
    private const int MaxBody = 16 * 1024;
    private const string NonceKind = "api-nonce";
    private const int MaxNoncesPerCertificate = 10_000; // ~17 signed requests a second per certificate, sustained for the whole window

    public static void MapNamedTunnelApi(this WebApplication app)
    {
        var api = app.MapGroup(Prefix).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var body = await ReadBody(http.Request);
            if (body is null) return Error(413, $"request body larger than {MaxBody} bytes");
            http.Items[BodyItem] = body; // handlers read it from here: binding it would consume the stream before the signature check
            try
            {
                var identity = http.RequestServices.GetService(typeof(EdgeIdentity)) as EdgeIdentity;
                var nonces = (ILoginStateStore)http.RequestServices.GetService(typeof(ILoginStateStore))!;
                var now = DateTimeOffset.UtcNow;
                var (zone, serial) = OriginRequestSignature.Verify(identity!.OriginAuthority.Certificate, name => http.Request.Headers[name].FirstOrDefault(),
                    http.Request.Method, http.Request.Path + http.Request.QueryString, body, now,
                    // Counted per certificate: one holder filling its quota blocks no other zone.
                    nonce => nonces.Claim($"{NonceKind}:{nonce[..nonce.IndexOf('/')]}", nonce, now + OriginRequestSignature.ReplayWindow, MaxNoncesPerCertificate, now));
                if (identity.OriginCertificates.IsRevoked(serial)) return Error(401, $"origin certificate {serial} is revoked; run `tunnelactors tunnel login` for a new one");
                http.Items[ZoneItem] = zone;
            }
            catch (OriginCredentialException e) { return Error(401, e.Message); }
            return await next(context);
        });

        api.MapPost("/tunnels", (HttpContext http, NamedTunnelStore tunnels) =>
        {
            var zone = Zone(http);
            CreateTunnel? request;
            try { request = System.Text.Json.JsonSerializer.Deserialize<CreateTunnel>((byte[])http.Items[BodyItem]!, JsonOptions); }
            catch (System.Text.Json.JsonException e) { return Error(400, $"body is not JSON {{\"name\": ...}}: {e.Message}"); }
            if (request?.Name is not { } name || !TunnelName().IsMatch(name))
                return Error(400, "tunnel name must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
            var secret = RandomNumberGenerator.GetBytes(32);
            var tunnel = new NamedTunnel(Guid.NewGuid().ToString(), name, zone, DateTimeOffset.UtcNow);
            if (!tunnels.Create(tunnel, SHA256.HashData(secret))) return Error(409, $"zone {zone} already has a tunnel named {name}");
            return Results.Json(new { id = tunnel.Id, name, zone, secret = Convert.ToBase64String(secret), created_at = tunnel.CreatedAt }, statusCode: 201);
        });

        api.MapGet("/tunnels", async (HttpContext http, NamedTunnelStore tunnels, LiveState live, CancellationToken cancellationToken) =>
        {
            var list = new List<object>();
            foreach (var tunnel in tunnels.InZone(Zone(http)))
            {
                var (_, connections) = await live.TunnelAsync(tunnel.Id, cancellationToken);
                list.Add(new { id = tunnel.Id, name = tunnel.Name, created_at = tunnel.CreatedAt, hostnames = tunnels.Hostnames(tunnel.Id), connections = connections.Length });
            }
            return Results.Json(new { tunnels = list });
        });

        api.MapGet("/tunnels/{key}", async (HttpContext http, string key, NamedTunnelStore tunnels, LiveState live, CancellationToken cancellationToken) =>
        {
            if (tunnels.Find(Zone(http), key) is not { } tunnel) return Error(404, $"no tunnel {key} in zone {Zone(http)}");
            var (healthy, connections) = await live.TunnelAsync(tunnel.Id, cancellationToken);
            return Results.Json(new { id = tunnel.Id, name = tunnel.Name, zone = tunnel.Zone, created_at = tunnel.CreatedAt, healthy,
                hostnames = tunnels.Hostnames(tunnel.Id), connections });
        });

        api.MapDelete("/tunnels/{key}", async (HttpContext http, string key, bool? force, NamedTunnelStore tunnels, LiveState live, CancellationToken cancellationToken) =>
        {
            if (tunnels.Find(Zone(http), key) is not { } tunnel) return Error(404, $"no tunnel {key} in zone {Zone(http)}");
            var (_, connections) = await live.TunnelAsync(tunnel.Id, cancellationToken);
            if (connections.Length > 0 && force != true)
                return Error(409, $"tunnel {tunnel.Name} has {connections.Length} live connections: stop its connectors first, or delete with --force");
            tunnels.Delete(tunnel.Id); // first: the closed connectors' reconnects are refused from now on
            var closed = await live.CloseAllAsync(tunnel.Id, "tunnel deleted", cancellationToken);
            return Results.Json(new { deleted = tunnel.Id, name = tunnel.Name, closed_connections = closed });
        });

        api.MapPut("/routes/{hostname}", (HttpContext http, string hostname, string? tunnel, bool? overwrite, NamedTunnelStore tunnels, EdgeStore store) =>
        {
            var zone = Zone(http);
            hostname = hostname.ToLowerInvariant();
            if (!OriginCredential.HostnameIsInZone(hostname, zone)) return Error(400, $"hostname {hostname} is outside your zone {zone}");
            if (tunnel is null || tunnels.Find(zone, tunnel) is not { } target) return Error(404, $"no tunnel {tunnel} in zone {zone}");
            var route = store.RouteTo(hostname, zone, target.Id, overwrite == true);
            if (route.TunnelId != target.Id)
                return Error(409, $"{hostname} is already routed to {tunnels.OwnerOf(route)}: pass --overwrite-dns to move it");
            return Results.Json(new { hostname, tunnel = target.Id, name = target.Name });
        });
    }

    public sealed record CreateTunnel(string? Name);

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static string Zone(HttpContext http) => (string)http.Items[ZoneItem]!;

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);

    // The signature covers the body: read it once, bounded.
    private static async Task<byte[]?> ReadBody(HttpRequest request)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int n;
        while ((n = await request.Body.ReadAsync(chunk)) > 0)
        {
            if (buffer.Length + n > MaxBody) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex TunnelName();
}
