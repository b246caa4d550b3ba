using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Edge.Access;

namespace TunnelActors.Edge.Tests;

/// <summary>Reloading the edge's configuration file as editors really write it.</summary>
public sealed class AccessPolicySourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("policies-").FullName;
    private readonly string _path;
    private readonly AccessPolicySource _source;
    private int _changes;

    public AccessPolicySourceTests()
    {
        _path = Path.Combine(_dir, "edge.yaml");
        File.WriteAllText(_path, Config("share", "smb.site.test"));
        _source = new AccessPolicySource(_path, NullLogger.Instance, poll: Timeout.InfiniteTimeSpan);
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

    [Fact]
    public void ATruncateThenWrite_SeenHalfWay_IsNeverApplied_OnlyTheWholeFileOnceItHoldsStill()
    {
        File.WriteAllText(_path, ""); // the editor truncated; the poll comes before it writes
        _source.ReloadIfChanged();
        Assert.Equal(["share"], Names); // an empty file would have denied everything
        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        _source.ReloadIfChanged();
        Assert.Equal(["share"], Names);

        _source.ReloadIfChanged(); // the same text again: written
        Assert.Equal(["wiki"], Names);
        Assert.Equal(1, _changes);
    }

    [Fact]
    public void ARewriteWithinOneClockTick_IsSeen_ForTheTextIsCompared()
    {
        var written = File.GetLastWriteTimeUtc(_path);
        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        File.SetLastWriteTimeUtc(_path, written); // as if both writes fell in the same tick of the file system's clock

        _source.ReloadIfChanged();
        _source.ReloadIfChanged();

        Assert.Equal(["wiki"], Names);
    }

    [Fact]
    public void ABrokenEdit_KeepsThePreviousPolicies_AndTheNextGoodOneApplies()
    {
        File.WriteAllText(_path, "applications: [ { name: broken");
        _source.ReloadIfChanged();
        _source.ReloadIfChanged();
        Assert.Equal(["share"], Names);
        Assert.Equal(0, _changes);

        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        _source.ReloadIfChanged();
        _source.ReloadIfChanged();
        Assert.Equal(["wiki"], Names);
    }

    [Fact]
    public void AnEditPutBack_BeforeItHeldStill_ChangesNothing()
    {
        var original = File.ReadAllText(_path);
        File.WriteAllText(_path, Config("wiki", "wiki.site.test"));
        _source.ReloadIfChanged();
        File.WriteAllText(_path, original);
        _source.ReloadIfChanged();
        _source.ReloadIfChanged();

        Assert.Equal(["share"], Names);
        Assert.Equal(0, _changes);
    }
}
