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
/// Browser sign-in with a one-time PIN, and the hand-over of the resulting app token to a
/// waiting CLI (`access login`). The pages never reveal whether an email is allowed: a PIN
/// is only sent when it is, but the user sees the same page either way.
/// </summary>
public static class LoginEndpoints
{
    public const string CookieName = "CF_Authorization";

    public static void MapLogin(this WebApplication app)
    {
        app.MapGet("/cdn-cgi/access/login", (string? app, string? transfer, AccessPolicySource policies, HttpContext context) =>
            FindApplication(policies, app) is null
                ? Html(LoginPages.EmailForm(app ?? "", transfer, $"no application covers '{app}'"), StatusCodes.Status404NotFound)
                : Html(LoginPages.EmailForm(app!, transfer, sso: context.RequestServices.GetService(typeof(OidcLogin)) is not null)));

        app.MapPost("/cdn-cgi/access/otp", async (HttpContext context, AccessPolicySource policies, PinChallenges pins,
            IPinSender sender, ILogger<PinChallenges> log) =>
        {
            var form = await context.Request.ReadFormAsync();
            var (hostname, transfer, email) = (form["app"].ToString(), NullIfEmpty(form["transfer"]), form["email"].ToString().Trim());
            var application = FindApplication(policies, hostname);
            if (application is null) return Html(LoginPages.EmailForm(hostname, transfer, $"no application covers '{hostname}'"), 404);
            if (!email.Contains('@') || email.Length > 254) return Html(LoginPages.EmailForm(hostname, transfer, "enter a valid email address"), 400);
            if (transfer is not null && !TokenTransfers.IsWellFormed(transfer)) return Html(LoginPages.EmailForm(hostname, null, "this sign-in link is malformed"), 400);

            var mayEnter = PolicyEvaluator.Decide(application, new AccessRequest(RemoteIp(context), email, null, "otp")).Allowed;
            if (pins.Create(email, hostname, transfer, send: mayEnter) is not var (challenge, pin))
                return Html(LoginPages.EmailForm(hostname, transfer, "too many sign-ins are in progress; try again in a few minutes"), 503);
            if (pin is not null) await sender.SendAsync(challenge.Email, pin, hostname, context.RequestAborted);
            else log.LogInformation("No PIN sent to {Email} for {Hostname}: no policy would let them in", challenge.Email, hostname);
            return Html(LoginPages.CodeForm(hostname, challenge.Email, challenge.Id));
        });

        app.MapPost("/cdn-cgi/access/otp/verify", async (HttpContext context, AccessPolicySource policies, PinChallenges pins,
            AppTokens tokens, TokenTransfers transfers, IAuditLog audit, TimeProvider clock) =>
        {
            var form = await context.Request.ReadFormAsync();
            var (result, challenge) = pins.Check(form["challenge"].ToString(), form["code"].ToString());
            var ip = RemoteIp(context);
            if (result != PinCheck.Accepted || challenge is null)
            {
                if (challenge is not null)
                    audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.LoginFailed, challenge.Hostname, challenge.Email, ip.ToString(), false, Detail: $"otp: {result}"));
                return result switch
                {
                    PinCheck.Wrong => Html(LoginPages.CodeForm(challenge!.Hostname, challenge.Email, challenge.Id, "That code is not right. Try again."), 401),
                    PinCheck.TooManyAttempts => Html(LoginPages.EmailForm(challenge!.Hostname, challenge.Transfer, "Too many wrong codes. Ask for a new one."), 401),
                    _ => Html(LoginPages.EmailForm(challenge?.Hostname ?? "", null, "This code has expired. Ask for a new one."), 401),
                };
            }

            return CompleteSignIn(context, policies, tokens, transfers, audit, clock, challenge.Hostname, challenge.Transfer, challenge.Email, [], "otp");
        });

        app.MapGet("/cdn-cgi/access/oidc/start", async (string? app, string? transfer, HttpContext context, AccessPolicySource policies) =>
        {
            if (context.RequestServices.GetService(typeof(OidcLogin)) is not OidcLogin oidc) return Html(LoginPages.EmailForm(app ?? "", transfer, "single sign-on is not configured on this edge"), 404);
            if (FindApplication(policies, app) is null) return Html(LoginPages.EmailForm(app ?? "", transfer, $"no application covers '{app}'"), 404);
            if (transfer is not null && !TokenTransfers.IsWellFormed(transfer)) return Html(LoginPages.EmailForm(app!, null, "this sign-in link is malformed"), 400);
            return Results.Redirect((await oidc.BeginAsync(app!.ToLowerInvariant(), transfer, context.RequestAborted)).ToString());
        });

        app.MapGet("/cdn-cgi/access/oidc/callback", async (string? code, string? state, string? error, HttpContext context, AccessPolicySource policies,
            AppTokens tokens, TokenTransfers transfers, IAuditLog audit, TimeProvider clock, ILogger<OidcLogin> log) =>
        {
            if (context.RequestServices.GetService(typeof(OidcLogin)) is not OidcLogin oidc) return Results.NotFound();
            try
            {
                var (identity, hostname, transfer) = await oidc.CompleteAsync(code, state, error, context.RequestAborted);
                return CompleteSignIn(context, policies, tokens, transfers, audit, clock, hostname, transfer, identity.Email, identity.Groups, "oidc");
            }
            catch (OidcLoginException e)
            {
                log.LogWarning("Single sign-on failed: {Reason}", e.Message);
                audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.LoginFailed, null, "unknown", RemoteIp(context).ToString(), false, Detail: $"oidc: {e.Message}"));
                return Html(LoginPages.EmailForm("", null, $"Single sign-on failed: {e.Message}"), 401);
            }
        });

        app.MapPost("/cdn-cgi/access/tunnel-login/zone", async (HttpContext context, AccessPolicySource policies, AppTokens tokens,
            TokenTransfers transfers, IAuditLog audit, TimeProvider clock, EdgeIdentity edge) =>
        {
            var form = await context.Request.ReadFormAsync();
            var (zoneName, transfer) = (form["zone"].ToString(), form["transfer"].ToString());
            TokenIdentity identity;
            try { identity = await tokens.VerifyAsync(context.Request.Cookies[CookieName] ?? "", policies.Console); }
            catch (TokenRejectedException e) { return Html(LoginPages.EmailForm(policies.Console.Domain, transfer, $"Sign in again: {e.Message}"), 401); }
            var request = new AccessRequest(RemoteIp(context), identity.Email, identity.Groups, identity.LoginMethod);
            var zone = policies.Zones.FirstOrDefault(z => z.Name == zoneName.ToLowerInvariant());
            var allowed = zone is not null && zone.IsAdministeredBy(request) && TokenTransfers.IsWellFormed(transfer);
            audit.Record(new AuditEvent(clock.GetUtcNow(), AuditKinds.OriginCertificate, zoneName, identity.Email, request.SourceIp.ToString(), allowed,
                Detail: allowed ? $"origin certificate issued for zone {zoneName}" : $"{identity.Email} does not administer zone {zoneName}"));
            if (!allowed) return Html(LoginPages.Denied(zoneName, identity.Email), 403);

            using var certificate = edge.Authority.IssueOriginCertificate(zone!.Name, TimeSpan.FromDays(3650));
            transfers.Park(transfer, TokenTransfers.Certificate, Pem.WithPrivateKey(certificate));
            return Html(LoginPages.CertificateSent(zone.Name));
        });

        // The CLI polls here with the transfer id it put in the login URL.
        app.MapGet("/cdn-cgi/access/transfer/{transfer}", (string transfer, TokenTransfers transfers) =>
            TokenTransfers.IsWellFormed(transfer) && transfers.Collect(transfer) is { } parked
                ? Results.Json(new Dictionary<string, string> { [parked.Kind] = parked.Value })
                : Results.Json(new { status = "pending" }, statusCode: StatusCodes.Status404NotFound));
    }

    /// <summary>
    /// The end of every sign-in: evaluate the application's policies for the identity, audit
    /// the login, issue the app token, set the session cookie and hand the token to a waiting CLI.
    /// </summary>
    private static IResult CompleteSignIn(HttpContext context, AccessPolicySource policies, AppTokens tokens, TokenTransfers transfers,
        IAuditLog audit, TimeProvider clock, string hostname, string? transfer, string email, IReadOnlyList<string> groups, string method)
    {
        var ip = RemoteIp(context);
        var application = FindApplication(policies, hostname);
        var decision = application is null ? null : PolicyEvaluator.Decide(application, new AccessRequest(ip, email, groups.ToHashSet(), method));
        audit.Record(new AuditEvent(clock.GetUtcNow(), decision?.Allowed == true ? AuditKinds.Login : AuditKinds.LoginFailed,
            application?.Name, email, ip.ToString(), decision?.Allowed ?? false, decision?.Policy, decision?.Rule,
            $"{method}: {decision?.Reason ?? "application removed"}"));
        if (application is null || decision?.Allowed != true) return Html(LoginPages.Denied(hostname, email), 403);

        var token = tokens.Issue(application, email, groups, method);
        context.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Lax, Path = "/", MaxAge = application.SessionDuration,
        });
        if (application == policies.Console && transfer is not null)
        {
            // `tunnel login`: the user now picks a zone; the cookie just set proves who they are.
            var request = new AccessRequest(ip, email, groups.ToHashSet(), method);
            return Html(LoginPages.ZonePicker(email, policies.Zones.Where(z => z.IsAdministeredBy(request)).Select(z => z.Name).ToList(), transfer));
        }
        if (transfer is not null) transfers.Park(transfer, TokenTransfers.Token, token);
        return Html(LoginPages.SignedIn(hostname, email, transfer is not null));
    }

    private static AccessApplication? FindApplication(AccessPolicySource policies, string? hostname) =>
        string.IsNullOrEmpty(hostname) ? null : policies.Find(hostname.ToLowerInvariant());

    private static IPAddress RemoteIp(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static IResult Html(string html, int status = StatusCodes.Status200OK) =>
        Results.Content(html, "text/html; charset=utf-8", statusCode: status);
}
