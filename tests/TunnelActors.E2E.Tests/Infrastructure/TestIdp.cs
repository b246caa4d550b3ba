using System.Diagnostics;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>The npm `oidc-provider` test IdP (tests/oidc/server.js) on a loopback port: alice, bob and carol.</summary>
public sealed class TestIdp : IAsyncDisposable
{
    public const string ClientId = "tunnelactors-edge";

    private readonly Process _process;

    private TestIdp(Process process, int port, string clientSecret) => (_process, Port, ClientSecret) = (process, port, clientSecret);

    public int Port { get; }
    public string ClientSecret { get; }
    public string Issuer => $"http://127.0.0.1:{Port}";

    public static async Task<TestIdp> StartAsync(string redirectUri)
    {
        var dir = Path.Combine(Repo.Root, "tests", "oidc");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "oidc-provider")))
            throw new InvalidOperationException("run `npm ci --prefix tests/oidc` first (ops/test.sh does)");
        var (port, secret) = (Ports.Free(), Guid.NewGuid().ToString("N"));
        var info = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "server.js", "--port", port.ToString(), "--client-id", ClientId, "--client-secret", secret, "--redirect-uri", redirectUri })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Ports.WaitListening(port, TimeSpan.FromSeconds(30));
        return new TestIdp(process, port, secret);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
