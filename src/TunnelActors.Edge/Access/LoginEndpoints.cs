using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Certificates;
using TunnelActors.Edge.Hosting;
using TunnelActors.Access.Login;
using TunnelActors.Access.Policies;
using TunnelActors.Access.Tokens;

namespace TunnelActors.Edge.Access;

/// <summary>
/// Browser sign-in (one-time PIN or single sign-on) and the confirmed hand-over of its result to
/// the terminal that asked (`access login`, `tunnel login`) through <see cref="DeviceSignIns"/>.
/// The pages never reveal whether an email is allowed: a PIN is only sent when it is, in the
/// background, and the user sees the same page, as fast, either way.
/// </summary>
public static class LoginEndpoints
{
    public const string CookieName = "CF_Authorization";
    private const string OidcStateCookie = "__Host-ta-oidc-state";

    public static void MapLogin(this WebApplication app)
    {
        app.MapGet("/cdn-cgi/access/login", (string? app, string? user_code, string? transfer, AccessPolicySource policies, DeviceSignIns devices, HttpContext context) =>
        {
            var sso = context.RequestServices.GetService(typeof(OidcLogin)) is not null;
            if (FindApplication(policies, app) is null) return Html(LoginPages.EmailForm(app ?? "", null, $"no application covers '{app}'"), 404);
            if (transfer is not null)
                return Html(LoginPages.EmailForm(app!, null, "this sign-in link comes from an older tunnelactors CLI: update it and run the login again", sso), 400);
            if (user_code is not null && devices.FindFor(user_code, app!) is null)
                return Html(LoginPages.EmailForm(app!, null, "this sign-in link has expired or is not valid; run the login in your terminal again", sso), 400);
            return Html(LoginPages.EmailForm(app!, DeviceSignIns.NormalizeUserCode(user_code), sso: sso));
        }).RequireRateLimiting(SignInLimits.PagePolicy);

        // The CLI starts here: the edge picks the secret it polls with and the code the user compares.
        app.MapPost("/cdn-cgi/access/device", async (HttpContext context, AccessPolicySource policies, DeviceSignIns devices) =>
        {
            var form = await context.Request.ReadFormAsync();
            var (hostname, kind) = (form["app"].ToString().ToLowerInvariant(), form["kind"].ToString());
            if (kind is not (DeviceSignIns.Token or DeviceSignIns.Certificate)) return Results.BadRequest(new { error = $"kind must be {DeviceSignIns.Token} or {DeviceSignIns.Certificate}" });
            var application = FindApplication(policies, hostname);
            if (application is null || (kind == DeviceSignIns.Certificate) != (application == policies.Console))
                return Results.NotFound(new { error = $"no application covers '{hostname}'" });
            if (devices.Begin(hostname, kind, RemoteIp(context).ToString()) is not var (deviceCode, userCode))
                return Results.Json(new { error = "too many sign-ins are in progress; try again in a few minutes" }, statusCode: 503);
            var page = $"{context.Request.Scheme}://{context.Request.Host}/cdn-cgi/access/login?app={Uri.EscapeDataString(hostname)}&user_code={userCode}";
            return Results.Json(new Dictionary<string, object>
            {
                ["device_code"] = deviceCode, ["user_code"] = userCode, ["verification_uri_complete"] = page,
                ["expires_in"] = (int)devices.Lifetime.TotalSeconds, ["interval"] = 1,
            });
        }).RequireRateLimiting(SignInLimits.StartPolicy);

        app.MapPost("/cdn-cgi/access/otp", async (HttpContext context, AccessPolicySource policies, PinChallenges pins,
            PinOutbox outbox, SharedBudget budget, ILogger<PinChallenges> log) =>
        {
            var form = await context.Request.ReadFormAsync();
            var (hostname, userCode) = (form["app"].ToString(), DeviceSignIns.NormalizeUserCode(NullIfEmpty(form["user_code"])));
            var application = FindApplication(policies, hostname);
            if (application is null) return Html(LoginPages.EmailForm(hostname, userCode, $"no application covers '{hostname}'"), 404);
            if (EmailAddress.Normalize(form["email"], out var invalid) is not { } email) return Html(LoginPages.EmailForm(hostname, userCode, invalid), 400);
            if (!budget.TryTake($"pins:{email}", SignInLimits.PinsPerAddress, SignInLimits.Window))
                return Html(LoginPages.EmailForm(hostname, userCode, $"too many codes were requested for {email}; try again in a few minutes"), 429);

            var mayEnter = PolicyEvaluator.Decide(application, new AccessRequest(RemoteIp(context), email, null, "otp")).Allowed;
            if (pins.Create(email, hostname, userCode, send: mayEnter) is not var (challenge, pin))
                return Html(LoginPages.EmailForm(hostname, userCode, "too many sign-ins are in progress; try again in a few minutes"), 503);
            if (pin is not null) outbox.Enqueue(email, pin, hostname);
            else log.LogInformation("No PIN sent to {Email} for {Hostname}: no policy would let them in", email, hostname);
            return Html(LoginPages.CodeForm(hostname, email, challenge.Id));
        }).RequireRateLimiting(SignInLimits.StartPolicy);

        app.MapPost("/cdn-cgi/access/otp/verify", async (HttpContext context, AccessPolicySource policies, PinChallenges pins,
            Sessions tokens, DeviceSignIns devices, SharedBudget budget, IAuditLog audit, TimeProvider clock) =>
        {
            var form = await context.Request.ReadFormAsync();
            // Every guess spends the application's cluster-wide budget before it is compared.
            if (pins.Peek(form["challenge"].ToString()) is { } pending
                && !budget.TryTake($"pin-guesses:{pending.Hostname}", SignInLimits.PinGuessesPerApplication, SignInLimits.Window))
                return Html(LoginPages.CodeForm(pending.Hostname, pending.Email, pending.Id, "Too many codes were entered for this application; try again in a few minutes."), 429);
            var (result, challenge) = pins.Check(form["challenge"].ToString(), form["code"].ToString());
            var ip = RemoteIp(context);
            if (result != PinCheck.Accepted || challenge is null)
            {
                if (challenge is not null)
                    audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.LoginFailed, challenge.Hostname, challenge.Email, ip.ToString(), false, Detail: $"otp: {result}"));
                return result switch
                {
                    PinCheck.Wrong => Html(LoginPages.CodeForm(challenge!.Hostname, challenge.Email, challenge.Id, "That code is not right. Try again."), 401),
                    PinCheck.TooManyAttempts => Html(LoginPages.EmailForm(challenge!.Hostname, challenge.UserCode, "Too many wrong codes. Ask for a new one."), 401),
                    _ => Html(LoginPages.EmailForm(challenge?.Hostname ?? "", null, "This code has expired. Ask for a new one."), 401),
                };
            }

            return CompleteSignIn(context, policies, tokens, devices, audit, clock, challenge.Hostname, challenge.UserCode, challenge.Email, [], "otp");
        }).RequireRateLimiting(SignInLimits.GuessPolicy);

        app.MapGet("/cdn-cgi/access/oidc/start", async (string? app, string? user_code, HttpContext context, AccessPolicySource policies, EdgeOptions options) =>
        {
            if (context.RequestServices.GetService(typeof(OidcLogin)) is not OidcLogin oidc) return Html(LoginPages.EmailForm(app ?? "", null, "single sign-on is not configured on this edge"), 404);
            // The IdP returns to the issuer's callback: the state cookie must be set on that same host.
            var issuer = new Uri(options.Issuer);
            if (!string.Equals(context.Request.Host.Value, issuer.Authority, StringComparison.OrdinalIgnoreCase) && issuer.Host is not ("0.0.0.0" or "[::]"))
                return Results.Redirect($"{options.Issuer}/cdn-cgi/access/oidc/start{context.Request.QueryString}");
            if (FindApplication(policies, app) is null) return Html(LoginPages.EmailForm(app ?? "", null, $"no application covers '{app}'"), 404);
            var userCode = DeviceSignIns.NormalizeUserCode(user_code);
            if (!string.IsNullOrEmpty(user_code) && userCode is null) return Html(LoginPages.EmailForm(app!, null, "this sign-in link is malformed"), 400);
            var (redirect, state) = await oidc.BeginAsync(app!.ToLowerInvariant(), userCode, context.RequestAborted);
            // Binds the sign-in to this browser: a callback URL lured into another browser finds no cookie.
            context.Response.Cookies.Append(OidcStateCookie, state, new CookieOptions
            {
                HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, Path = "/", MaxAge = TimeSpan.FromMinutes(10),
            });
            return Results.Redirect(redirect.ToString());
        }).RequireRateLimiting(SignInLimits.StartPolicy);

        app.MapGet("/cdn-cgi/access/oidc/callback", async (string? code, string? state, string? error, HttpContext context, AccessPolicySource policies,
            Sessions tokens, DeviceSignIns devices, IAuditLog audit, TimeProvider clock, ILogger<OidcLogin> log) =>
        {
            if (context.RequestServices.GetService(typeof(OidcLogin)) is not OidcLogin oidc) return Results.NotFound();
            try
            {
                var browserState = context.Request.Cookies[OidcStateCookie];
                context.Response.Cookies.Delete(OidcStateCookie, new CookieOptions { Secure = true, Path = "/" });
                var (identity, hostname, userCode) = await oidc.CompleteAsync(code, state, browserState, error, context.RequestAborted);
                return CompleteSignIn(context, policies, tokens, devices, audit, clock, hostname, userCode, identity.Email, identity.Groups, "oidc");
            }
            catch (OidcLoginException e)
            {
                log.LogWarning("Single sign-on failed: {Reason}", e.Message);
                audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.LoginFailed, null, "unknown", RemoteIp(context).ToString(), false, Detail: $"oidc: {e.Message}"));
                return Html(LoginPages.EmailForm("", null, $"Single sign-on failed: {e.Message}"), 401);
            }
        });

        // `access login`: the signed-in user confirms that the code on the page is the one their terminal shows.
        app.MapPost("/cdn-cgi/access/device/confirm", async (HttpContext context, AccessPolicySource policies, Sessions tokens,
            DeviceSignIns devices, IAuditLog audit, TimeProvider clock) =>
        {
            var form = await context.Request.ReadFormAsync();
            if (!BrowserGuards.CsrfMatches(context, form)) return Html(LoginPages.EmailForm("", null, "This confirmation did not come from the sign-in page. Start again."), 403);
            if (devices.Find(form["user_code"]) is not { Kind: DeviceSignIns.Token } device || FindApplication(policies, device.Hostname) is not { } application)
                return Html(LoginPages.EmailForm("", null, "This sign-in has expired or was already confirmed. Run the login in your terminal again."), 400);
            TokenIdentity identity;
            try { identity = await tokens.VerifyAsync(context.Request.Cookies[CookieName] ?? "", application); }
            catch (TokenRejectedException e) { return Html(LoginPages.EmailForm(device.Hostname, device.UserCode, $"Sign in again: {e.Message}"), 401); }
            var token = tokens.Reissue(application, identity); // the terminal joins the browser's sign-in session
            var confirmed = devices.Confirm(device.UserCode, device.Hostname, DeviceSignIns.Token, token); // the hostname, not a wildcard domain
            audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.Login, application.Name, identity.Email, RemoteIp(context).ToString(), confirmed,
                Detail: confirmed ? $"token handed to the terminal showing {device.UserCode}" : $"sign-in {device.UserCode} was already used"));
            return confirmed
                ? Html(LoginPages.SignedIn(device.Hostname, identity.Email, forCli: true))
                : Html(LoginPages.EmailForm(device.Hostname, null, "This sign-in was already confirmed. Run the login in your terminal again."), 400);
        });

        // `tunnel login`: picking a zone is the confirmation; the certificate goes to the terminal showing the code.
        app.MapPost("/cdn-cgi/access/tunnel-login/zone", async (HttpContext context, AccessPolicySource policies, Sessions tokens,
            DeviceSignIns devices, IAuditLog audit, TimeProvider clock, EdgeIdentity edge, EdgeOptions options) =>
        {
            var form = await context.Request.ReadFormAsync();
            var zoneName = form["zone"].ToString();
            if (!BrowserGuards.CsrfMatches(context, form)) return Html(LoginPages.EmailForm(policies.Console.Domain, null, "This confirmation did not come from the sign-in page. Start again."), 403);
            TokenIdentity identity;
            try { identity = await tokens.VerifyAsync(context.Request.Cookies[CookieName] ?? "", policies.Console); }
            catch (TokenRejectedException e) { return Html(LoginPages.EmailForm(policies.Console.Domain, null, $"Sign in again: {e.Message}"), 401); }
            if (devices.Find(form["user_code"]) is not { Kind: DeviceSignIns.Certificate } device)
                return Html(LoginPages.EmailForm(policies.Console.Domain, null, "This sign-in has expired or was already used. Run `tunnel login` again."), 400);
            var request = new AccessRequest(RemoteIp(context), identity.Email, identity.Groups, identity.LoginMethod);
            var zone = policies.Zones.FirstOrDefault(z => z.Name == zoneName.ToLowerInvariant());
            var allowed = zone is not null && zone.IsAdministeredBy(request);
            audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.OriginCertificate, zoneName, identity.Email, request.SourceIp.ToString(), allowed,
                Detail: allowed ? $"origin certificate for zone {zoneName} handed to the terminal showing {device.UserCode}" : $"{identity.Email} does not administer zone {zoneName}"));
            if (!allowed) return Html(LoginPages.Denied(zoneName, identity.Email), 403);

            using var certificate = edge.OriginAuthority.IssueOriginCertificate(zone!.Name, options.OriginCertificateLifetime);
            if (!devices.Confirm(device.UserCode, policies.Console.Domain, DeviceSignIns.Certificate, Pem.WithPrivateKey(certificate)))
                return Html(LoginPages.EmailForm(policies.Console.Domain, null, "This sign-in was already used. Run `tunnel login` again."), 400);
            edge.OriginCertificates.Record(certificate, zone.Name, identity.Email); // only a certificate that reached a terminal is on the list
            return Html(LoginPages.CertificateSent(zone.Name));
        });

        // The CLI polls here with its device code, in the body (never in a URL a proxy might log):
        // 404 until the user confirmed, then the result, once.
        app.MapPost("/cdn-cgi/access/transfer", async (HttpContext context, DeviceSignIns devices) =>
            context.Request.HasFormContentType && devices.Collect((await context.Request.ReadFormAsync())["device_code"].ToString()) is { } parked
                ? Results.Json(new Dictionary<string, string> { [parked.Kind] = parked.Value })
                : Results.Json(new { status = "pending" }, statusCode: StatusCodes.Status404NotFound));
    }

    /// <summary>
    /// The end of every sign-in: evaluate the application's policies for the identity, audit
    /// the login, issue the app token and set the session cookie. A terminal waiting for the
    /// result gets nothing yet: the page asks the user to confirm its code first.
    /// </summary>
    private static IResult CompleteSignIn(HttpContext context, AccessPolicySource policies, Sessions tokens, DeviceSignIns devices,
        IAuditLog audit, TimeProvider clock, string hostname, string? userCode, string email, IReadOnlyList<string> groups, string method)
    {
        var ip = RemoteIp(context);
        var application = FindApplication(policies, hostname);
        var decision = application is null ? null : PolicyEvaluator.Decide(application, new AccessRequest(ip, email, groups.ToHashSet(), method));
        audit.Record(new AuditEvent(clock.GetUtcNow(), decision?.Allowed == true ? AuditKinds.Login : AuditKinds.LoginFailed,
            application?.Name, email, ip.ToString(), decision?.Allowed ?? false, decision?.Policy, decision?.Rule,
            $"{method}: {decision?.Reason ?? "application removed"}"));
        if (application is null || decision?.Allowed != true) return Html(LoginPages.Denied(hostname, email), 403);

        var (token, _) = tokens.Issue(application, email, groups, method, ip);
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, Path = "/", MaxAge = application.SessionDuration,
        });
        // A device sign-in for another application (or worn out) is simply not continued.
        if (devices.FindFor(userCode, hostname) is not { } device)
            return Html(LoginPages.SignedIn(hostname, email, forCli: false));
        var csrf = BrowserGuards.IssueCsrf(context);
        if (application == policies.Console)
        {
            var request = new AccessRequest(ip, email, groups.ToHashSet(), method);
            return Html(LoginPages.ZonePicker(email, policies.Zones.Where(z => z.IsAdministeredBy(request)).Select(z => z.Name).ToList(), device.UserCode, csrf, device));
        }
        return Html(LoginPages.ConfirmDevice(hostname, email, device.UserCode, csrf, device));
    }

    private static AccessApplication? FindApplication(AccessPolicySource policies, string? hostname) =>
        string.IsNullOrEmpty(hostname) ? null : policies.Find(hostname.ToLowerInvariant());

    private static IPAddress RemoteIp(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static IResult Html(string html, int status = StatusCodes.Status200OK) =>
        Results.Content(html, "text/html; charset=utf-8", statusCode: status);
}
