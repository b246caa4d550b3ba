using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Edge.Access;
using TunnelActors.Tests.Shared;

namespace TunnelActors.Edge.Tests;

/// <summary>Reloading the edge's configuration file as editors really write it.</summary>
public sealed class AccessPolicySourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policies-").FullName;
    private readonly string _path;
    private readonly AccessPolicySource _source;
    private readonly ManualClock _clock = new();
    private int _changes;

    public AccessPolicySourceTests()
    {
        _path = Path.Combine(_dir, "edge.yaml");
        File.WriteAllText(_path, Config("share", "smb.site.test"));
        _source = new AccessPolicySource(_path, NullLogger.Instance, poll: Timeout.InfiniteTimeSpan, clock: _clock);
        _source.Changed += () => _changes++;
    }

    public void Dispose()
    {
        _source.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Config(string name, string domain) => $"""
        applications:
          - name: {name}
            domain: {domain}
            policies:
              - name: staff
                decision: allow
                include: [ {"{"} email_domain: example.com {"}"} ]
        """;

    private IEnumerable<string> Names => _source.Applications.Select(a => a.Name);

    // One poll, a given time after the last.
    private void Poll(double seconds = 0)
    {
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        _source.ReloadIfChanged();
    }

    [Fact]
    public void ATruncateThenWrite_SeenHalfWay_IsNeverApplied_OnlyTheWholeFileOnceItHoldsStill()
    {
        File.WriteAllText(_path, ""); // the editor truncated; the poll comes before it writes
        Poll(1);
        Assert.Equal(["share"], Names); // an empty file would have denied everything
        Poll(0.5); // two polls at once (a late timer): not a second of holding still
        Assert.Equal(["share"], Names);
        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        Poll(1);
        Assert.Equal(["share"], Names);

        Poll(0.9);
        Assert.Equal(["share"], Names);
        Poll(0.1); // the same text for a second: written
        Assert.Equal(["wiki"], Names);
        Assert.Equal(1, _changes);
    }

    [Fact]
    public void ARewriteWithinOneClockTick_IsSeen_ForTheTextIsCompared()
    {
        var written = File.GetLastWriteTimeUtc(_path);
        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        File.SetLastWriteTimeUtc(_path, written); // as if both writes fell in the same tick of the file system's clock

        Poll(1);
        Poll(1);

        Assert.Equal(["wiki"], Names);
    }

    [Fact]
    public void ABrokenEdit_KeepsThePreviousPolicies_AndTheNextGoodOneApplies()
    {
        File.WriteAllText(_path, "applications: [ { name: broken");
        Poll(1);
        Poll(1);
        Poll(1);
        Assert.Equal(["share"], Names);
        Assert.Equal(0, _changes);

        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        Poll(1);
        Poll(1);
        Assert.Equal(["wiki"], Names);
    }

    [Fact]
    public void AnEditPutBack_BeforeItHeldStill_ChangesNothing()
    {
        var original = File.ReadAllText(_path);
        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        Poll(1);
        File.WriteAllText(_path, original);
        Poll(1);
        Poll(1);

        Assert.Equal(["share"], Names);
        Assert.Equal(0, _changes);
    }
}
