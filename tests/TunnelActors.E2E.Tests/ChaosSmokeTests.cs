using System.Text.RegularExpressions;
using TunnelActors.E2E.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// CI's short run of the chaos suite (ops/chaos/run.sh --smoke): three edges, two connector
/// replicas, Samba and an smbclient loop through every fault. Every fault is recovered from,
/// and no completed transfer is corrupt.
/// </summary>
public sealed partial class ChaosSmokeTests(ITestOutputHelper log)
{
    [Fact]
    public async Task ChaosSmoke_EveryFault_NewTransfersRecover_AndNoneIsCorrupt()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/chaos/run.sh", "--smoke"], TimeSpan.FromMinutes(8),
            new Dictionary<string, string> { ["TUNNELACTORS_CLI"] = Repo.CliDll, ["CHAOS_NO_BUILD"] = "1" }, Repo.Root);
        log.WriteLine(output);

        Assert.True(exit == 0, output);
        var rows = output.Split('\n').Where(l => l.StartsWith("| ") && !l.StartsWith("| fault")).ToList();
        Assert.Equal(9, rows.Count);
        Assert.All(rows, row => Assert.DoesNotContain("| never |", row)); // new transfers recover, and one copy of the tunnel's entity runs again
        var totals = Totals().Match(output);
        Assert.True(totals.Success, output);
        Assert.Equal("0", totals.Groups["corrupt"].Value);
        Assert.True(int.Parse(totals.Groups["ok"].Value) >= 50, output);
    }

    [GeneratedRegex(@"completed and sha256-identical: (?<ok>\d+), corrupt: (?<corrupt>\d+)")]
    private static partial Regex Totals();
}
