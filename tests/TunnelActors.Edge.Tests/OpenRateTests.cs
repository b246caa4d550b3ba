using TunnelActors.Edge.Clients;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Edge.Tests;

/// <summary>A client carrier's open rate (<see cref="OpenRate"/>): what a flood of OPENs gets decided, on a clock the test moves.</summary>
public sealed class OpenRateTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void AFlood_GetsTheBurstOfTwiceTheRate_ThenNothing_UntilTimeRefillsIt()
    {
        var rate = new OpenRate(ClientCarrierActor.OpensPerSecond, _clock);

        Assert.Equal(2 * ClientCarrierActor.OpensPerSecond, TakeAll(rate));
        Assert.False(rate.TryTake());

        _clock.Advance(TimeSpan.FromMilliseconds(10)); // ten more at 1,000 a second
        Assert.Equal(10, TakeAll(rate));
    }

    [Fact]
    public void AnIdleCarrier_SavesUpTheBurstOnly_AndAClockSetBack_RefillsNothing()
    {
        var rate = new OpenRate(100, _clock);
        TakeAll(rate);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(200, TakeAll(rate)); // not an hour's worth

        _clock.Advance(TimeSpan.FromMinutes(-5));
        Assert.Equal(0, TakeAll(rate));
        _clock.Advance(TimeSpan.FromMilliseconds(50)); // counted from the clock's new reading
        Assert.Equal(5, TakeAll(rate));
    }

    private static int TakeAll(OpenRate rate)
    {
        var taken = 0;
        while (taken < 1_000_000 && rate.TryTake()) taken++;
        return taken;
    }
}
