using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Login;

/// <summary>
/// `access login`: asks the edge for a device sign-in (a secret device code to poll with and a
/// short user code), prints the sign-in URL with the user code, and polls until the user has
/// signed in and confirmed that code in the browser; then caches the token. Works without a
/// display: the URL is printed to open on any machine.
/// </summary>
public sealed class AccessLogin(Uri edge, string? caFile, TokenCache cache, TextWriter console)
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public async Task<string> LoginAsync(string hostname, bool openBrowser, CancellationToken cancellationToken)
    {
        var token = await SignInAsync(hostname, "token", openBrowser, cancellationToken);
        cache.Put(hostname, token);
        console.WriteLine($"Signed in to {hostname}; token saved to {cache.PathFor(hostname)}");
        return token;
    }

    /// <summary>`tunnel login`: sign in to the edge itself, pick a zone in the browser, receive its origin certificate (PEM with key).</summary>
    public Task<string> OriginCertificateAsync(bool openBrowser, CancellationToken cancellationToken) =>
        SignInAsync(edge.Host, "certificate", openBrowser, cancellationToken);

    private async Task<string> SignInAsync(string hostname, string wanted, bool openBrowser, CancellationToken cancellationToken)
    {
        using var http = Http();
        var (deviceCode, userCode, url) = await BeginAsync(http, hostname, wanted, cancellationToken);
        console.WriteLine($"Sign in to {hostname} in your browser. If it does not open, visit this URL on any machine:\n\n    {url}\n");
        console.WriteLine($"Your code is {userCode}. Confirm on the page only if it shows this same code.\n");
        if (openBrowser && TryOpenBrowser(url)) console.WriteLine("Opened your browser; waiting for you to sign in...");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        while (true)
        {
            try
            {
                using var response = await http.PostAsync(new Uri(edge, "/cdn-cgi/access/transfer"),
                    new FormUrlEncodedContent(new Dictionary<string, string> { ["device_code"] = deviceCode }), deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadFromJsonAsync<JsonElement>(deadline.Token);
                    return body.TryGetProperty(wanted, out var value) && value.GetString() is { Length: > 0 } result
                        ? result
                        : throw new InvalidDataException($"the edge answered the sign-in without a {wanted}");
                }
            }
            catch (HttpRequestException e) { console.WriteLine($"Waiting for the edge ({e.Message})..."); }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no sign-in completed within {Timeout.TotalMinutes:0} minutes; run the login again");
            }
            await Task.Delay(PollInterval, deadline.Token).ConfigureAwait(false);
        }
    }

    private async Task<(string DeviceCode, string UserCode, Uri Url)> BeginAsync(HttpClient http, string hostname, string kind, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(new Uri(edge, "/cdn-cgi/access/device"),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["app"] = hostname, ["kind"] = kind }), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var reason = body.TrimStart().StartsWith('{') && JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString() : body.Trim();
            throw new InvalidOperationException($"the edge refused to start a sign-in for {hostname} ({(int)response.StatusCode}): {reason}");
        }
        var device = JsonDocument.Parse(body).RootElement;
        return (device.GetProperty("device_code").GetString()!, device.GetProperty("user_code").GetString()!,
            new Uri(device.GetProperty("verification_uri_complete").GetString()!));
    }

    private HttpClient Http() => new(EdgeTrust.HttpHandler(caFile)) { Timeout = TimeSpan.FromSeconds(15) };

    private static bool TryOpenBrowser(Uri url)
    {
        if (Environment.GetEnvironmentVariable("DISPLAY") is null && Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is null) return false;
        try
        {
            using var opener = Process.Start(new ProcessStartInfo("xdg-open", url.ToString()) { UseShellExecute = false, RedirectStandardError = true });
            return opener is not null;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }
}
