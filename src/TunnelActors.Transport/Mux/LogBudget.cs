using System.Diagnostics;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// At most <paramref name="perInterval"/> log lines per <paramref name="interval"/> for one
/// source (a connection): whatever a misbehaving peer sends, it writes a few lines, not one per
/// frame. Counts what it held back so the next line can say so. Thread-safe.
/// </summary>
public sealed class LogBudget(int perInterval, TimeSpan interval)
{
    private readonly object _gate = new();
    private long _windowStart = Stopwatch.GetTimestamp();
    private int _used;
    private int _suppressed;

    /// <summary>True when a line may be written now; <paramref name="suppressed"/> is how many were held back before it.</summary>
    public bool TryTake(out int suppressed)
    {
        lock (_gate)
        {
            if (Stopwatch.GetElapsedTime(_windowStart) >= interval) (_windowStart, _used) = (Stopwatch.GetTimestamp(), 0);
            if (_used >= perInterval)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }
            _used++;
            (suppressed, _suppressed) = (_suppressed, 0);
            return true;
        }
    }
}
