using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;

namespace TunnelActors.Cli.Commands;

/// <summary>
/// The flags and HTTP client of commands that call the edge's admin API: `--edge`, `--ca-file`
/// and `--admin-token-file` (the token is read from a file, never taken on the command line).
/// </summary>
public sealed class AdminClient
{
    private readonly Option<string> _edge = new("--edge") { Description = "Edge URL", DefaultValueFactory = _ => "https://127.0.0.1:8443" };
    private readonly Option<string?> _caFile = CommonOptions.CaFile();
    private readonly Option<string> _adminToken = new("--admin-token-file")
    {
        Description = "File holding the admin API token (never on the command line)", DefaultValueFactory = _ => "data/admin-token",
    };

    /// <summary>Adds the three flags to <paramref name="command"/>.</summary>
    public Command AddTo(Command command)
    {
        command.Options.Add(_edge);
        command.Options.Add(_caFile);
        command.Options.Add(_adminToken);
        return command;
    }

    public HttpClient Create(ParseResult result)
    {
        var http = new HttpClient(TunnelActors.Transport.Tls.EdgeTrust.HttpHandler(result.GetValue(_caFile))) { BaseAddress = CommonOptions.EdgeUri(result.GetValue(_edge), "edge") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(result.GetValue(_adminToken)!).Trim());
        return http;
    }

    /// <summary>The JSON answer of a successful call; throws with the edge's reason otherwise.</summary>
    public static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body);
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"the edge refused ({(int)response.StatusCode}): {text.Trim()}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
