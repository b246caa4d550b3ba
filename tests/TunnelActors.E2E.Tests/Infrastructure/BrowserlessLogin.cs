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

    /// <summary>What `access login` / `tunnel login` do first: the edge's device code (to poll with), user code and sign-in URL.</summary>
    public async Task<(string DeviceCode, string UserCode, string Url)> StartDeviceAsync(string hostname, string kind = "token")
    {
        var step = await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/device")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["app"] = hostname, ["kind"] = kind }),
        });
        if (step.Status != HttpStatusCode.OK) throw new InvalidOperationException($"device sign-in refused: {step.Status} {step.Html}");
        using var json = System.Text.Json.JsonDocument.Parse(step.Html);
        return (json.RootElement.GetProperty("device_code").GetString()!, json.RootElement.GetProperty("user_code").GetString()!,
            json.RootElement.GetProperty("verification_uri_complete").GetString()!);
    }

    public async Task<Step> RequestPinAsync(string hostname, string? userCode, string email) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/otp")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["app"] = hostname, ["user_code"] = userCode ?? "", ["email"] = email }),
        });

    /// <summary>Presses "Yes, my terminal shows CODE" on the confirmation page <paramref name="html"/>.</summary>
    public async Task<Step> ConfirmAsync(string html) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/device/confirm")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["user_code"] = Field(html, "user_code"), ["csrf"] = Field(html, "csrf") }),
        });

    public async Task<Step> SubmitPinAsync(string challenge, string pin) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/otp/verify")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["challenge"] = challenge, ["code"] = pin }),
        });

    /// <summary>Picks <paramref name="zone"/> on the zone picker page <paramref name="pickerHtml"/> (its user code and anti-forgery token).</summary>
    public async Task<Step> ChooseZoneAsync(string zone, string pickerHtml) =>
        await Send(new HttpRequestMessage(HttpMethod.Post, "/cdn-cgi/access/tunnel-login/zone")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["zone"] = zone, ["user_code"] = Field(pickerHtml, "user_code"), ["csrf"] = Field(pickerHtml, "csrf"),
            }),
        });

    /// <summary>The value of the hidden form field <paramref name="name"/> (empty when the page has none).</summary>
    public static string Field(string html, string name) =>
        Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : "";

    /// <summary>What the CLI does while it waits: POST its device code (404 until the sign-in is confirmed).</summary>
    public static Task<HttpResponseMessage> CollectAsync(HttpClient http, string deviceCode) =>
        http.PostAsync("/cdn-cgi/access/transfer", new FormUrlEncodedContent(new Dictionary<string, string> { ["device_code"] = deviceCode }));

    /// <summary>The user code in a sign-in URL.</summary>
    /// <summary>A whole CLI sign-in with a one-time PIN, confirmed: the app token the terminal collects.</summary>
    public async Task<string> SignInAsync(string hostname, string email)
    {
        var (deviceCode, userCode, _) = await StartDeviceAsync(hostname);
        var codePage = await RequestPinAsync(hostname, userCode, email);
        var confirmPage = await SubmitPinAsync(Challenge(codePage.Html), await PinFromEdgeLogAsync(email, hostname));
        await ConfirmAsync(confirmPage.Html);
        using var collected = await CollectAsync(_http, deviceCode);
        var body = await collected.Content.ReadAsStringAsync();
        if (!collected.IsSuccessStatusCode) throw new InvalidOperationException($"sign-in of {email} not collected ({collected.StatusCode}): {body}");
        return System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    public static string UserCode(string url) => Regex.Match(url, "user_code=([A-Z-]+)").Groups[1].Value;

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
