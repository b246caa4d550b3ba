namespace TunnelActors.Edge.Clients;

/// <summary>
/// A token bucket for one carrier's OPENs: <paramref name="perSecond"/> a second, in bursts of up to twice that.
/// Each OPEN costs the edge a credential check, so a client that opens faster has the rest reset, not decided.
/// Used by the carrier's actor only: not thread-safe.
/// </summary>
public sealed class OpenRate(int perSecond, TimeProvider clock)
{
    private readonly double _burst = 2.0 * perSecond;
    private double _tokens = 2.0 * perSecond;
    private DateTimeOffset _refilled = clock.GetUtcNow();

    /// <summary>True when one more OPEN may be decided now.</summary>
    public bool TryTake()
    {
        var now = clock.GetUtcNow(); // a clock set back refills nothing; one set forward at most the burst
        _tokens = Math.Min(_burst, _tokens + Math.Max(0, (now - _refilled).TotalSeconds) * perSecond);
        _refilled = now;
        if (_tokens < 1) return false;
        _tokens--;
        return true;
    }
}
