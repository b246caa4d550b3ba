using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TunnelActors.Transport.Hosting;

/// <summary>
/// Gives memory back once a burst is over. A process that served thousands of streams keeps their
/// garbage and its committed heap until it allocates again, and glibc keeps freed native memory
/// (OpenSSL's per-connection buffers) in its arenas: RSS stays at the peak long after the streams
/// closed. Every <see cref="Interval"/>, when the process is quiet (it allocated little in the last
/// interval) but worked since the last trim (allocated at least <see cref="WorkSinceTrim"/>), this
/// runs one aggressive, compacting GC (which decommits) and <c>malloc_trim</c>, at most once per
/// <see cref="MinimumGap"/>. A busy process is never paused by it; an idle one not again until it
/// has worked.
/// </summary>
public sealed class IdleMemoryTrimmer(ILogger<IdleMemoryTrimmer> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MinimumGap = TimeSpan.FromSeconds(20);
    public const long WorkSinceTrim = 16L << 20;
    private const long QuietAllocation = 16L << 20; // per interval

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var allocated = GC.GetTotalAllocatedBytes();
        var atLastTrim = allocated;
        var lastTrim = DateTime.UtcNow;
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var (before, now) = (allocated, allocated = GC.GetTotalAllocatedBytes());
            if (now - before > QuietAllocation || now - atLastTrim < WorkSinceTrim || DateTime.UtcNow - lastTrim < MinimumGap) continue;
            var rss = Environment.WorkingSet;
            var after = Trim();
            (atLastTrim, lastTrim) = (GC.GetTotalAllocatedBytes(), DateTime.UtcNow);
            if (rss - after > 16L << 20) RoleLog.MemoryTrimmed(log, rss >> 20, after >> 20);
        }
    }

    /// <summary>One aggressive GC and, on glibc, malloc_trim; returns RSS after.</summary>
    public static long Trim()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            try { MallocTrim(0); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // musl has no malloc_trim
        }
        return Environment.WorkingSet;
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}

public static class IdleMemoryTrimmerExtensions
{
    public static IServiceCollection AddIdleMemoryTrimmer(this IServiceCollection services) => services.AddHostedService<IdleMemoryTrimmer>();
}
