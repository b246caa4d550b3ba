using System.Diagnostics;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// Tells a liveness check whether its periodic timer fired late: more than twice its period after
/// the previous tick means this process was paused (GC, CPU starvation), and a silence measured now
/// may be its own, not the peer's. Owned by one actor.
/// </summary>
public sealed class LateTicks(TimeSpan period)
{
    private long _previous = Stopwatch.GetTimestamp();

    public bool Late()
    {
        var now = Stopwatch.GetTimestamp();
        var late = Stopwatch.GetElapsedTime(_previous, now) > period * 2;
        _previous = now;
        return late;
    }
}
