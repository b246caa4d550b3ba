using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>The README's first command, run as a user would (with the already-built binary).</summary>
public sealed class QuickstartTests
{
    [Fact]
    public async Task Quickstart_WithEchoService_CarriesBytesAndStopsCleanlyOnSigterm()
    {
        await using var echo = new EchoServer();
        var dataDir = Directory.CreateTempSubdirectory("quickstart-").FullName;
        var (edgePort, localPort) = (Ports.Free(), Ports.Free());
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var arg in new[] { "ops/quickstart.sh", "--url", $"tcp://127.0.0.1:{echo.Port}", "--data-dir", dataDir,
                     "--edge-port", edgePort.ToString(), "--local-port", localPort.ToString() })
            info.ArgumentList.Add(arg);
        info.Environment["TUNNELACTORS_CLI"] = Repo.CliDll;
        using var quickstart = Process.Start(info)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        quickstart.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        quickstart.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        quickstart.BeginOutputReadLine();
        quickstart.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!output.Any(l => l.Contains("Press Ctrl+C")))
            {
                Assert.False(quickstart.HasExited, "quickstart exited early:\n" + string.Join('\n', output));
                Assert.True(DateTime.UtcNow < deadline, "quickstart did not come up:\n" + string.Join('\n', output));
                await Task.Delay(200);
            }
            Assert.Contains(output, l => l.Contains($"-p {localPort}"));

            var result = await TcpExchange.RunAsync(localPort, 2 << 20, seed: 5, TimeSpan.FromSeconds(30));
            Assert.Equal(result.SentSha256, result.ReceivedSha256);
        }
        finally
        {
            Process.Start("kill", $"-TERM {quickstart.Id}")!.WaitForExit();
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            await quickstart.WaitForExitAsync(cancel.Token);
        }

        // Everything it started is gone with it.
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, edgePort);
        });
        Directory.Delete(dataDir, recursive: true);
    }
}
