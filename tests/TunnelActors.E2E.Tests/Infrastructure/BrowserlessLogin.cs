using System.Net;
using System.Text.RegularExpressions;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>
/// Walks the edge's one-time-PIN sign-in pages with plain HTTP, reading the PIN from the
/// edge log (the dev PIN sender). Browser-driven tests come with the SSO provider.
/// </summary>
public sealed partial class BrowserlessLogin(HttpClient http, Func<string> edgeLog, Func<string, TimeSpan, Task> waitForEdgeLog)
{
    public sealed record Step(HttpStatusCode Status, string Html, HttpResponseMessage Response);

    private readonly HttpClient _http = http;

    public BrowserlessLogin(EdgeRig rig) : this(rig.Http(), () => rig.Edge.Output, rig.Edge.WaitForOutput) { }

    public async Task<Step> OpenAsync(string loginUrl) => await Send(new HttpRequestMessage(HttpMethod.Get, loginUrl));

    public async Task<Step> RequestPinAsync(string hostname, string? transfer, string email) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/otp")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["app"] = hostname, ["transfer"] = transfer ?? "", ["email"] = email }),
        });

    public async Task<Step> SubmitPinAsync(string challenge, string pin) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/otp/verify")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["challenge"] = challenge, ["code"] = pin }),
        });

    public async Task<Step> ChooseZoneAsync(string zone, string transfer) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/tunnel-login/zone")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["zone"] = zone, ["transfer"] = transfer }),
        });

    public static string Challenge(string html) => ChallengeField().Match(html) is { Success: true } m ? m.Groups[1].Value
        : throw new InvalidOperationException("no challenge field in:\n" + html);

    /// <summary>The PIN the dev sender logged for <paramref name="email"/> (the latest one).</summary>
    public async Task<string> PinFromEdgeLogAsync(string email, string hostname)
    {
        var pattern = new Regex($@"One-time PIN for {Regex.Escape(email)} to sign in to {Regex.Escape(hostname)}: (\d{{6}})");
        await waitForEdgeLog($"One-time PIN for {email} to sign in to {hostname}", TimeSpan.FromSeconds(10));
        return pattern.Matches(edgeLog()).Last().Groups[1].Value;
    }

    private async Task<Step> Send(HttpRequestMessage request)
    {
        var response = await _http.SendAsync(request);
        return new Step(response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    [GeneratedRegex("name=\"challenge\" value=\"([0-9a-f]+)\"")]
    private static partial Regex ChallengeField();
}
