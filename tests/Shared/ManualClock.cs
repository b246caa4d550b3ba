namespace TunnelActors.Tests.Shared;

/// <summary>A clock that moves only when the test moves it: expiry and rate tests that no busy machine can make late.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public ManualClock() : this(DateTimeOffset.UtcNow) { }

    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
