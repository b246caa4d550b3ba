using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TunnelActors.Edge.Access;

/// <summary>
/// What keeps the sign-in pages from being used against their own users: no framing
/// (clickjacking), no foreign scripts or form targets (CSP), no sign-in URL leaking through
/// Referer, no caching; form POSTs from another site refused (Origin / Sec-Fetch-Site), and a
/// double-submit anti-forgery token on every POST that hands something out.
/// </summary>
public static class BrowserGuards
{
    public const string LoginPrefix = "/cdn-cgi/access";
    public const string CsrfCookie = "__Host-ta-csrf";
    public const string CsrfField = "csrf";

    private const string LoginPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static void UseBrowserGuards(this WebApplication app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments(LoginPrefix)) { await next(context); return; }
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = LoginPolicy;
        headers.XFrameOptions = "DENY";
        // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on our own form posts.
        headers["Referrer-Policy"] = "same-origin";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        if (HttpMethods.IsPost(context.Request.Method) && CrossSite(context) is { } why)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync($"cross-site form post refused: {why}\n");
            return;
        }
        await next(context);
    });

    /// <summary>A fresh anti-forgery token, also set as this browser's cookie; the page puts it in its form.</summary>
    public static string IssueCsrf(HttpContext context)
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        context.Response.Cookies.Append(CsrfCookie, token, new CookieOptions
        {
            HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/", MaxAge = TimeSpan.FromMinutes(30),
        });
        return token;
    }

    /// <summary>True when the form carries the token this browser's cookie holds (compared in constant time).</summary>
    public static bool CsrfMatches(HttpContext context, IFormCollection form) =>
        context.Request.Cookies[CsrfCookie] is { Length: > 0 } cookie && form[CsrfField].ToString() is { Length: > 0 } field
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie), Encoding.ASCII.GetBytes(field));

    // Browsers send Origin (and Sec-Fetch-Site) on every form POST; the CLI sends neither.
    private static string? CrossSite(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
            return "the form was sent from another site";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return null;
        // An opaque origin (sandboxed frame, data: URL) is only ours when the browser says so.
        if (origin == "null") return request.Headers["Sec-Fetch-Site"].ToString() == "same-origin" ? null : "the form was sent from an opaque origin";
        var own = $"{request.Scheme}://{request.Host}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) ? null : $"origin {origin} is not {own}";
    }
}
