using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using TunnelActors.Access.Certificates;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Tunnels;

/// <summary>The edge refused a tunnel API call; the message is the edge's reason.</summary>
public sealed class TunnelApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Calls the edge's named-tunnel API (`/cdn-cgi/tunnel/api`) for `tunnel create / route dns /
/// list / info / delete`, each request signed with the zone's origin certificate.
/// </summary>
public sealed class TunnelApiClient(Uri edge, string? caFile, X509Certificate2 originCertificate, TimeProvider clock)
{
    public Task<JsonElement> CreateAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/tunnels", JsonSerializer.Serialize(new { name }), cancellationToken);

    public Task<JsonElement> ListAsync(CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, "/tunnels", null, cancellationToken);

    public Task<JsonElement> InfoAsync(string tunnel, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"/tunnels/{Uri.EscapeDataString(tunnel)}", null, cancellationToken);

    public Task<JsonElement> DeleteAsync(string tunnel, bool force, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"/tunnels/{Uri.EscapeDataString(tunnel)}{(force ? "?force=true" : "")}", null, cancellationToken);

    public Task<JsonElement> RouteAsync(string tunnel, string hostname, bool overwrite, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, $"/routes/{Uri.EscapeDataString(hostname)}?tunnel={Uri.EscapeDataString(tunnel)}{(overwrite ? "&overwrite=true" : "")}", null, cancellationToken);

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json, CancellationToken cancellationToken)
    {
        var pathAndQuery = "/cdn-cgi/tunnel/api" + path;
        var body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(method, new Uri(edge, pathAndQuery));
        if (json is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        foreach (var (name, value) in OriginRequestSignature.Sign(originCertificate, method.Method, pathAndQuery, body, clock.GetUtcNow()))
            request.Headers.Add(name, value);
        using var http = Http();
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement answer;
        try { answer = JsonDocument.Parse(text).RootElement.Clone(); }
        catch (JsonException) { throw new TunnelApiException((int)response.StatusCode, $"edge answered {(int)response.StatusCode}: {text.Trim()}"); }
        if (!response.IsSuccessStatusCode)
            throw new TunnelApiException((int)response.StatusCode,
                answer.TryGetProperty("error", out var error) ? error.GetString()! : $"edge answered {(int)response.StatusCode}");
        return answer;
    }

    private HttpClient Http() => new(EdgeTrust.HttpHandler(caFile)) { Timeout = TimeSpan.FromSeconds(15) };
}
