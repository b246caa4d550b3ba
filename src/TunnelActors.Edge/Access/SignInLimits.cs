using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace TunnelActors.Edge.Access;

/// <summary>
/// Budgets for everything a stranger can do before signing in. Per source (ASP.NET Core's rate
/// limiter; every edge counts its own): <see cref="StartsPerIp"/> sign-in starts (PIN
/// requests, SSO starts, CLI device sign-ins) and <see cref="GuessesPerIp"/> PIN guesses per
/// <see cref="Window"/>. Per address, across the cluster: <see cref="PinsPerAddress"/> PINs per window, each good for
/// <see cref="TunnelActors.Access.Login.PinChallenges.MaxAttempts"/> guesses — so one address faces at
/// most 25 guesses of a 6-digit PIN per 10 minutes (a 0.0025 % chance), and the per-IP guess budget
/// caps it lower still. IPv6 sources count per /64. Refused requests get 429 with Retry-After: the wait is the backoff.
/// </summary>
public static class SignInLimits
{
    public const string StartPolicy = "sign-in-start";
    public const string GuessPolicy = "sign-in-guess";
    public const string PagePolicy = "sign-in-page";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    public const int StartsPerIp = 30;
    public const int GuessesPerIp = 30;
    public const int PagesPerIp = 300;
    public const int PinsPerAddress = 5;

    /// <summary>
    /// PIN guesses one application takes per window across the whole cluster, whatever their
    /// sources: what bounds guessing across many addresses of an allowed domain from many sources
    /// and edges (at most 2,000 guesses of a 6-digit PIN per 10 minutes, 0.2 %). When spent, PIN
    /// sign-in to that application waits for the window (single sign-on is not affected).
    /// Counted in the shared login state (<see cref="TunnelActors.Access.Login.SharedBudget"/>), as is <see cref="PinsPerAddress"/>.
    /// </summary>
    public const int PinGuessesPerApplication = 2000;

    public static IServiceCollection AddSignInLimits(this IServiceCollection services) => services.AddRateLimiter(limiter =>
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(StartPolicy, context => PerIp(context, StartsPerIp));
        limiter.AddPolicy(GuessPolicy, context => PerIp(context, GuessesPerIp));
        limiter.AddPolicy(PagePolicy, context => PerIp(context, PagesPerIp));
        limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : Window;
            rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString();
            rejected.HttpContext.Response.ContentType = "text/plain; charset=utf-8";
            await rejected.HttpContext.Response.WriteAsync(
                $"too many sign-in attempts from {Source(rejected.HttpContext)}; try again in {Math.Ceiling(retry.TotalMinutes)} minutes\n", cancellationToken);
        };
    });

    // IPv6 sources count per /64: one host usually holds the whole prefix.
    private static RateLimitPartition<IPAddress> PerIp(HttpContext context, int permits) =>
        RateLimitPartition.GetSlidingWindowLimiter(Source(context), _ => Sliding(permits));

    private static SlidingWindowRateLimiterOptions Sliding(int permits) => new()
    {
        PermitLimit = permits,
        Window = Window,
        SegmentsPerWindow = 10,
        QueueLimit = 0,
    };

    private static IPAddress Source(HttpContext context) => context.Connection.RemoteIpAddress is { } ip ? Hosting.SourcePrefix.Of(ip) : IPAddress.None;
}
