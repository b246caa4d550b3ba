using TunnelActors.Access.Login;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Access.Tests;

public sealed class DeviceSignInsTests
{
    private readonly DeviceSignIns _devices = new(new InMemoryLoginStateStore(), TimeProvider.System);

    [Fact]
    public void Unconfirmed_SignIn_YieldsNothing()
    {
        var (deviceCode, userCode) = _devices.Begin("smb.site.test", DeviceSignIns.Token)!.Value;

        Assert.NotNull(_devices.Find(userCode)); // the page can show it...
        Assert.Null(_devices.Collect(deviceCode)); // ...but the terminal gets nothing until the user confirms
    }

    [Fact]
    public void Confirmed_SignIn_IsCollectedOnceWithTheDeviceCodeOnly()
    {
        var (deviceCode, userCode) = _devices.Begin("smb.site.test", DeviceSignIns.Token)!.Value;

        Assert.True(_devices.Confirm(userCode.ToLowerInvariant().Replace("-", ""), "smb.site.test", DeviceSignIns.Token, "the-token"));

        Assert.Null(_devices.Collect(userCode.Replace("-", "") + new string('x', 35))); // the user code is no way in
        Assert.Equal((DeviceSignIns.Token, "the-token"), _devices.Collect(deviceCode));
        Assert.Null(_devices.Collect(deviceCode));
        Assert.False(_devices.Confirm(userCode, "smb.site.test", DeviceSignIns.Token, "again")); // taken once
    }

    [Theory]
    [InlineData("wiki.site.test", DeviceSignIns.Token)]      // another application
    [InlineData("smb.site.test", DeviceSignIns.Certificate)] // another kind
    public void Confirm_ForSomethingElse_IsRefused(string hostname, string kind)
    {
        var (deviceCode, userCode) = _devices.Begin("smb.site.test", DeviceSignIns.Token)!.Value;

        Assert.False(_devices.Confirm(userCode, hostname, kind, "value"));
        Assert.Null(_devices.Collect(deviceCode));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("AAAA-AAAA")]          // vowels are not in the alphabet
    [InlineData("BCDF-GHJ")]
    [InlineData("BCDFGHJKLMNPQRSTVWXZ")]
    public void NormalizeUserCode_RefusesWhatCannotBeACode(string? code)
    {
        Assert.Null(DeviceSignIns.NormalizeUserCode(code));
    }

    [Fact]
    public void UserCode_LookedUpTooOften_IsWornOut()
    {
        var (deviceCode, userCode) = _devices.Begin("smb.site.test", DeviceSignIns.Token, "203.0.113.5")!.Value;

        for (var i = 0; i < DeviceSignIns.MaxLookups; i++) Assert.NotNull(_devices.Find(userCode));

        Assert.Null(_devices.Find(userCode)); // a guessed live code cannot be probed on and on
        Assert.Null(_devices.Collect(deviceCode));
    }

    [Fact]
    public void Codes_AreFreshAndWellFormed()
    {
        var first = _devices.Begin("a.test", DeviceSignIns.Token)!.Value;
        var second = _devices.Begin("a.test", DeviceSignIns.Token)!.Value;

        Assert.NotEqual(first.UserCode, second.UserCode);
        Assert.True(DeviceSignIns.IsWellFormedDeviceCode(first.DeviceCode));
        Assert.Equal(first.UserCode, DeviceSignIns.NormalizeUserCode(first.UserCode));
    }
}

public sealed class SharedBudgetTests
{
    [Fact]
    public void Budget_RefusesBeyondItsLimitUntilTheWindowPasses()
    {
        var store = new InMemoryLoginStateStore();
        var clock = new ManualClock();
        var budget = new SharedBudget(store, clock);

        for (var i = 0; i < 3; i++) Assert.True(budget.TryTake("pins:a@example.com", 3, TimeSpan.FromMinutes(10)));
        Assert.False(budget.TryTake("pins:a@example.com", 3, TimeSpan.FromMinutes(10)));
        Assert.True(budget.TryTake("pins:b@example.com", 3, TimeSpan.FromMinutes(10))); // scopes are separate

        clock.Now += TimeSpan.FromMinutes(10);
        Assert.True(budget.TryTake("pins:a@example.com", 3, TimeSpan.FromMinutes(10)));
    }
}
