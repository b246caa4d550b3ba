using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>CI's seconds-long run of the benchmark: every server starts and every figure is produced.</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task BenchSmoke_RunsEveryMeasurementOnEveryPath()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/bench/run.sh", "--smoke"], TimeSpan.FromMinutes(9),
            new Dictionary<string, string> { ["TUNNELACTORS_CLI"] = Repo.CliDll }, Repo.Root);

        Assert.True(exit == 0, Tool.Failure(exit, output));
        AssertEveryFigure(output, ["1 stream MB/s", "8 streams MB/s", "ping-pong p50", "new connection TTFB", "warm TTFB", "100 streams MB/s", "SMB put MB/s", "SMB get MB/s"]);
        Assert.Contains("(100/100)", output); // every one of the concurrent streams completed
        Assert.Contains("| TunnelActors (WebSocket each) |", output);
        // Both forms recovered from the silent path, and the edge accounted for every phase of both.
        Assert.Matches(@"succeeds again after [0-9.]+ s with the carrier, [0-9.]+ s with a WebSocket per connection", output);
        var phases = output.Split('\n').Where(l => l.StartsWith("- TunnelActors", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, phases.Count);
        Assert.All(phases, l => Assert.All(new[] { "authenticate", "route lookup", "open on a connection" },
            phase => Assert.Matches($@"{phase} \d+ µs", l)));
    }

    [Fact]
    public async Task WanBenchSmoke_MeasuresEveryPathThroughTheDelayLine()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/bench/wan.sh", "--smoke"], TimeSpan.FromMinutes(9),
            new Dictionary<string, string> { ["TUNNELACTORS_CLI"] = Repo.CliDll }, Repo.Root);

        Assert.True(exit == 0, Tool.Failure(exit, output));
        Assert.Contains("RTT 40 ms:", output);
        AssertEveryFigure(output, ["1 stream MB/s", "8 streams MB/s", "new connection TTFB", "SMB put MB/s", "SMB get MB/s"]);
        // The relay really delays: a new connection through it cannot answer within one 40 ms round trip.
        var ttfb = Cells(output, "new connection TTFB");
        Assert.All(ttfb, c => Assert.True(double.Parse(c) > 40_000, $"TTFB {c} µs is less than the relay's round trip"));
    }

    [Fact]
    public async Task IdleBenchSmoke_OpensEveryIdleStreamAndMeasuresEachProcess()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/bench/idle.sh", "--smoke"], TimeSpan.FromMinutes(9),
            new Dictionary<string, string> { ["TUNNELACTORS_CLI"] = Repo.CliDll }, Repo.Root);

        Assert.True(exit == 0, Tool.Failure(exit, output));
        var row = output.Split('\n').Single(l => l.StartsWith("| workstation |"));
        Assert.Contains("| 200/200 in", row); // every idle stream opened and echoed its byte
        var cells = row.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var perStream in new[] { cells[2], cells[4], cells[6] }) // KiB per stream: edge, connector, access tcp
            Assert.True(double.TryParse(perStream, System.Globalization.CultureInfo.InvariantCulture, out _), $"'{perStream}' in\n{row}");
    }

    /// <summary>Every path's cell (the four after the metric's name) of each row is a positive number.</summary>
    private static void AssertEveryFigure(string output, string[] rows)
    {
        foreach (var row in rows)
            Assert.All(Cells(output, row), c => Assert.True(double.TryParse(c.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0, $"{row}: '{c}' in\n{output}"));
    }

    private static IEnumerable<string> Cells(string output, string row) =>
        output.Split('\n').Single(l => l.StartsWith($"| {row}"))
            .Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Take(4);

    [Fact]
    public async Task MicroBenchSmoke_MeasuresEveryCodecBenchmarkWithAllocations()
    {
        var (exit, output) = await Tool.Run("bash", ["ops/bench/micro/run.sh", "--smoke"], TimeSpan.FromMinutes(9), workingDirectory: Repo.Root);

        Assert.True(exit == 0, Tool.Failure(exit, output));
        Assert.Contains("executed benchmarks: 9", output);
        Assert.Contains("Allocated", output);
        // Every benchmark at every payload size produced a time (a failed one shows NA as its mean).
        var rows = output.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| (Encode|Decode)\w+ +\| +\d+ +\| +[\d.,]+ (ns|us|μs|ms) ")).ToList();
        Assert.True(rows.Count == 9, output);
    }
}
