using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>CI's seconds-long run of the benchmark: every server starts and every figure is produced.</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task BenchSmoke_RunsEveryMeasurementOnEveryPath()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/bench/run.sh", "--smoke"], TimeSpan.FromMinutes(5),
            new Dictionary<string, string> { ["TUNNELACTORS_CLI"] = Repo.CliDll }, Repo.Root);

        Assert.True(exit == 0, output);
        foreach (var row in new[] { "1 stream MB/s", "8 streams MB/s", "ping-pong p50", "new connection TTFB", "100 streams MB/s", "SMB put MB/s", "SMB get MB/s" })
        {
            var line = output.Split('\n').Single(l => l.StartsWith($"| {row}"));
            var cells = line.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.All(cells.Skip(1).Take(4), c => Assert.True(double.TryParse(c.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0, $"{row}: '{c}' in\n{line}"));
        }
        Assert.Contains("(100/100)", output); // every one of the concurrent streams completed
    }

    [Fact]
    public async Task MicroBenchSmoke_MeasuresEveryCodecBenchmarkWithAllocations()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/bench/micro/run.sh", "--smoke"], TimeSpan.FromMinutes(5), workingDirectory: Repo.Root);

        Assert.True(exit == 0, output);
        Assert.Contains("executed benchmarks: 9", output);
        Assert.Contains("Allocated", output);
        // Every benchmark at every payload size produced a time (a failed one shows NA as its mean).
        var rows = output.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| (Encode|Decode)\w+ +\| +\d+ +\| +[\d.,]+ (ns|us|μs|ms) ")).ToList();
        Assert.True(rows.Count == 9, output);
    }
}
