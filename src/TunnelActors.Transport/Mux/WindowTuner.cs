using System.Diagnostics;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// Receive-window auto-tuning for one stream, in the way of QUIC implementations: each time a
/// quarter window is granted back, if the previous grant was less than one round trip ago the
/// window (not the reader) is what limits the stream, so it doubles, up to the stream maximum and
/// as far as the connection's and the process's <see cref="WindowBudget"/> allow. A stream that
/// consumed nothing for a while shrinks back to its initial window and returns what it held.
/// Not thread-safe: the stream calls it under its lock.
/// </summary>
public sealed class WindowTuner(uint initial, uint maximum, WindowBudget budget)
{
    private long _lastGrant; // 0 until the first grant: the time before it includes waiting for the first byte, not a grant interval
    private long _reserved;

    /// <summary>The window a grant at <paramref name="now"/> should carry, given the current window and round-trip time.</summary>
    public uint OnGrant(uint window, TimeSpan? rtt, long now)
    {
        var previous = _lastGrant;
        _lastGrant = now;
        if (previous == 0 || rtt is not { } roundTrip || Stopwatch.GetElapsedTime(previous, now) >= roundTrip || window >= maximum) return window;
        var grown = (uint)Math.Min((long)window * 2, maximum);
        if (!budget.TryReserve(grown - window)) return window;
        _reserved += grown - window;
        return grown;
    }

    /// <summary>The window for a stream that has been idle since its last grant: the initial one once idle longer than <paramref name="idleAfter"/>.
    /// What it held is not given back here but by <see cref="Settle"/>, as the peer's credit and the buffered bytes drain.</summary>
    public uint OnIdleCheck(uint window, TimeSpan idleAfter, long now)
    {
        if (window <= initial || Stopwatch.GetElapsedTime(_lastGrant, now) < idleAfter) return window; // growth implies a grant: _lastGrant is set
        return initial;
    }

    /// <summary>
    /// Gives back what the stream no longer needs beyond its initial window: after a shrink the peer may
    /// still send, and the stream still buffers, up to the old window (<paramref name="deficit"/> bytes above
    /// the new one), so the reservation drains only as that is paid back — or, once the peer finished, as the buffer empties.
    /// </summary>
    public void Settle(uint window, long deficit, bool peerFinished, long buffered)
    {
        var needed = Math.Max(0, peerFinished ? buffered - initial : (long)window + deficit - initial);
        if (needed >= _reserved) return;
        budget.Release(_reserved - needed);
        _reserved = needed;
    }

    /// <summary>Gives back everything this stream reserved (it ended).</summary>
    public void Release()
    {
        if (_reserved == 0) return;
        budget.Release(_reserved);
        _reserved = 0;
    }
}
