using System.Text.Encodings.Web;
using TunnelActors.Access.Login;

namespace TunnelActors.Edge.Access;

/// <summary>The sign-in pages: plain HTML, no external assets, every value HTML-encoded.</summary>
public static class LoginPages
{
    private static string E(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    private static string Page(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · TunnelActors Access</title>
        <style>
          body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; display: grid; place-items: center; min-height: 100vh; }
          main { background: white; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; max-width: 26rem; width: 100%; }
          h1 { font-size: 1.3rem; margin-top: 0; } label { display: block; margin: 1rem 0 .3rem; }
          input[type=email], input[type=text] { width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }
          a.button { display: inline-block; padding: .6rem 1.2rem; background: #2451b3; color: white; border-radius: 4px; text-decoration: none; }
          button { margin-top: 1rem; padding: .6rem 1.2rem; font-size: 1rem; background: #2451b3; color: white; border: 0; border-radius: 4px; cursor: pointer; }
          .note { color: #555; font-size: .9rem; } .error { color: #b3261e; }
        </style></head>
        <body><main>{{body}}</main></body></html>
        """;

    public static string EmailForm(string hostname, string? userCode, string? error = null, bool sso = false) => Page("Sign in", $"""
        <h1>Sign in to {E(hostname)}</h1>
        {(error is null ? "" : $"<p class=\"error\" id=\"error\">{E(error)}</p>")}
        {(userCode is null ? "" : $"<p class=\"note\">Signing in a terminal that shows the code <strong id=\"user-code\">{E(userCode)}</strong>. If your terminal does not show it, close this page.</p>")}
        {(sso ? $"<p><a id=\"sso\" class=\"button\" href=\"/cdn-cgi/access/oidc/start?app={Uri.EscapeDataString(hostname)}&amp;user_code={Uri.EscapeDataString(userCode ?? "")}\">Sign in with single sign-on</a></p><p class=\"note\">or with a one-time code:</p>" : "")}
        <form method="post" action="/cdn-cgi/access/otp">
          <input type="hidden" name="app" value="{E(hostname)}"><input type="hidden" name="user_code" value="{E(userCode)}">
          <label for="email">Email address</label>
          <input type="email" id="email" name="email" required autofocus autocomplete="email">
          <button type="submit" id="send-code">Send me a code</button>
        </form>
        <p class="note">We will email you a one-time code.</p>
        """);

    public static string CodeForm(string hostname, string email, string challenge, string? error = null) => Page("Enter your code", $"""
        <h1>Check your email</h1>
        <p>If <strong>{E(email)}</strong> may sign in to {E(hostname)}, a code is on its way. It is valid for 10 minutes.</p>
        {(error is null ? "" : $"<p class=\"error\" id=\"error\">{E(error)}</p>")}
        <form method="post" action="/cdn-cgi/access/otp/verify">
          <input type="hidden" name="challenge" value="{E(challenge)}">
          <label for="code">Code</label>
          <input type="text" id="code" name="code" inputmode="numeric" maxlength="6" required autofocus autocomplete="one-time-code">
          <button type="submit" id="verify">Sign in</button>
        </form>
        """);

    public static string SignedIn(string hostname, string email, bool forCli) => Page("Signed in", $"""
        <h1 id="signed-in">Signed in</h1>
        <p>You are signed in to {E(hostname)} as <strong>{E(email)}</strong>.</p>
        {(forCli ? "<p>You can close this window and return to your terminal.</p>" : "")}
        """);

    /// <summary>After sign-in for a terminal: nothing is handed over until the user confirms the code their terminal shows.</summary>
    public static string ConfirmDevice(string hostname, string email, string userCode, string csrf, DeviceSignIn device) => Page("Confirm your terminal", $"""
        <h1>Confirm your terminal</h1>
        <p>Signed in to {E(hostname)} as <strong>{E(email)}</strong>.</p>
        <p>A terminal asks for your access token. Confirm only if <strong>your own terminal</strong> shows this code:</p>
        {Requested(device)}
        <p style="font-size:1.6rem;letter-spacing:.2rem" id="user-code"><strong>{E(userCode)}</strong></p>
        <form method="post" action="/cdn-cgi/access/device/confirm">
          <input type="hidden" name="user_code" value="{E(userCode)}"><input type="hidden" name="csrf" value="{E(csrf)}">
          <button type="submit" id="confirm">Yes, my terminal shows {E(userCode)}</button>
        </form>
        <p class="note">If you did not start this sign-in, close this page: nothing has been sent.</p>
        """);

    private static string Requested(DeviceSignIn device) =>
        $"<p class=\"note\" id=\"requested\">Asked for from {E(device.RequestedFrom)} at {E(device.RequestedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'"))}.</p>";

    public static string ZonePicker(string email, IReadOnlyList<string> zones, string userCode, string csrf, DeviceSignIn device) => Page("Choose a zone", zones.Count == 0
        ? $"""<h1 id="no-zones">No zones</h1><p><strong>{E(email)}</strong> administers no zone on this edge.</p>"""
        : $"""
        <h1>Authorize a connector</h1>
        <p>Signed in as <strong>{E(email)}</strong>. Choose the zone whose hostnames the connector may serve;
        its origin certificate goes to the `tunnelactors tunnel login` that shows the code
        <strong id="user-code">{E(userCode)}</strong>. Authorize only if your own terminal shows it: whoever holds the
        certificate can route every hostname of the zone.</p>
        {Requested(device)}
        <form method="post" action="/cdn-cgi/access/tunnel-login/zone">
          <input type="hidden" name="user_code" value="{E(userCode)}"><input type="hidden" name="csrf" value="{E(csrf)}">
          {ZoneChoices(zones)}
          <button type="submit" id="authorize">Authorize</button>
        </form>
        """);

    private static string ZoneChoices(IReadOnlyList<string> zones) => string.Join("", zones.Select((z, i) =>
        $"<label><input type=\"radio\" name=\"zone\" value=\"{E(z)}\" id=\"zone-{E(z)}\"{(i == 0 ? " checked" : "")}> {E(z)}</label>"));

    public static string CertificateSent(string zone) => Page("Connector authorized", $"""
        <h1 id="certificate-sent">Connector authorized</h1>
        <p>The origin certificate for <strong>{E(zone)}</strong> was sent to your terminal. You can close this window.</p>
        """);

    public static string Denied(string hostname, string email) => Page("Access denied", $"""
        <h1 id="denied">Access denied</h1>
        <p><strong>{E(email)}</strong> is not allowed to reach {E(hostname)}. Ask the administrator of this application.</p>
        """);
}
