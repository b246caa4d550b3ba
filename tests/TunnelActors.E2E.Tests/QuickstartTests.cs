using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>The README's first command, run as a user would (with the already-built binary).</summary>
public sealed class QuickstartTests
{
    [Fact]
    public async Task Quickstart_SignInWithOneTimePin_CarriesBytesAndStopsCleanly()
    {
        await using var echo = new EchoServer();
        var home = Directory.CreateTempSubdirectory("quickstart-home-").FullName;
        await using var quickstart = Quickstart.Start(echo.Port, home, serviceToken: false);

        await quickstart.WaitFor("/cdn-cgi/access/login?app=");
        var url = Regex.Match(quickstart.Output, @"https://\S+/cdn-cgi/access/login\?\S+").Value;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true }, // the test trusts its own edge
        }) { BaseAddress = new Uri(url) };
        var browser = new BrowserlessLogin(http, () => quickstart.Output, (text, timeout) => quickstart.WaitFor(text, timeout));
        var codePage = await browser.RequestPinAsync("smb.site.test", BrowserlessLogin.UserCode(url), "erin@example.com");
        var confirmPage = await browser.SubmitPinAsync(BrowserlessLogin.Challenge(codePage.Html), await browser.PinFromEdgeLogAsync("erin@example.com", "smb.site.test"));
        var signedIn = await browser.ConfirmAsync(confirmPage.Html);
        Assert.Contains("signed-in", signedIn.Html);

        await quickstart.WaitFor("Press Ctrl+C");
        var result = await TcpExchange.RunAsync(quickstart.LocalPort, 1 << 20, seed: 6, TimeSpan.FromSeconds(30));
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        await quickstart.StopAndAssertEverythingGone();
    }

    [Fact]
    public async Task Quickstart_WithServiceToken_CarriesBytesAndStopsCleanlyOnSigterm()
    {
        await using var echo = new EchoServer();
        await using var quickstart = Quickstart.Start(echo.Port, Directory.CreateTempSubdirectory("quickstart-home-").FullName, serviceToken: true);

        await quickstart.WaitFor("Press Ctrl+C");
        Assert.Contains($"-p {quickstart.LocalPort}", quickstart.Output);
        var result = await TcpExchange.RunAsync(quickstart.LocalPort, 2 << 20, seed: 5, TimeSpan.FromSeconds(30));

        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        await quickstart.StopAndAssertEverythingGone();
    }

    private sealed class Quickstart : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();
        private readonly string _dataDir;
        private readonly int _edgePort;

        private Quickstart(Process process, string dataDir, int edgePort, int localPort)
        {
            (_process, _dataDir, _edgePort, LocalPort) = (process, dataDir, edgePort, localPort);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int LocalPort { get; }
        public string Output => string.Join('\n', _output);

        public static Quickstart Start(int echoPort, string home, bool serviceToken)
        {
            var dataDir = Directory.CreateTempSubdirectory("quickstart-").FullName;
            var (edgePort, localPort) = (Ports.Free(), Ports.Free());
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = Repo.Root };
            string[] args = ["ops/quickstart.sh", "--url", $"tcp://127.0.0.1:{echoPort}", "--data-dir", dataDir,
                "--edge-port", edgePort.ToString(), "--local-port", localPort.ToString()];
            foreach (var arg in serviceToken ? [.. args, "--service-token"] : args) info.ArgumentList.Add(arg);
            info.Environment["TUNNELACTORS_CLI"] = Repo.CliDll;
            info.Environment["HOME"] = home;
            info.Environment.Remove("DISPLAY");
            return new Quickstart(Process.Start(info)!, dataDir, edgePort, localPort);
        }

        public async Task WaitFor(string text, TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
            while (!_output.Any(l => l.Contains(text)))
            {
                Assert.False(_process.HasExited, $"quickstart exited before printing '{text}':\n{Output}");
                Assert.True(DateTime.UtcNow < deadline, $"quickstart did not print '{text}':\n{Output}");
                await Task.Delay(200);
            }
        }

        public async Task StopAndAssertEverythingGone()
        {
            await DisposeAsync();
            await Assert.ThrowsAsync<SocketException>(async () =>
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _edgePort);
            });
        }

        private bool _stopped;

        public async ValueTask DisposeAsync()
        {
            if (_stopped) return;
            _stopped = true;
            if (!_process.HasExited) Process.Start("kill", $"-TERM {_process.Id}")!.WaitForExit();
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            await _process.WaitForExitAsync(cancel.Token);
            _process.Dispose();
            try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
        }
    }
}
