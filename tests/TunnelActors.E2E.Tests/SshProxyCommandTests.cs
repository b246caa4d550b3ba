using System.Security.Cryptography;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// The real OpenSSH client through the tunnel to a real sshd, with `access ssh` (no --url: standard
/// input and output) as its ProxyCommand, the way cloudflared's users run it.
/// </summary>
public sealed class SshProxyCommandTests : IAsyncLifetime
{
    private const string Hostname = "ssh.site.test";
    private EdgeRig _rig = null!;
    private string _dir = null!;
    private System.Diagnostics.Process? _sshd;

    public async Task InitializeAsync()
    {
        _rig = await EdgeRig.StartAsync();
        _dir = Path.Combine(_rig.DataDir, "ssh");
        Directory.CreateDirectory(_dir);
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation directory
        foreach (var key in new[] { "host", "client" })
            Assert.Equal(0, (await Tool.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(_dir, key)], TimeSpan.FromSeconds(30))).Exit);
        File.Copy(Path.Combine(_dir, "client.pub"), Path.Combine(_dir, "authorized_keys"));
        var port = Ports.Free();
        await File.WriteAllTextAsync(Path.Combine(_dir, "sshd_config"), $"""
            Port {port}
            ListenAddress 127.0.0.1
            HostKey {_dir}/host
            PidFile {_dir}/sshd.pid
            AuthorizedKeysFile {_dir}/authorized_keys
            PermitRootLogin prohibit-password
            StrictModes no
            UsePAM no
            """);
        _sshd = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/sbin/sshd", ["-f", Path.Combine(_dir, "sshd_config"), "-D", "-e"])
        {
            RedirectStandardError = true,
        });
        await Ports.WaitListening(port, TimeSpan.FromSeconds(20));
        await _rig.StartTunnel(Hostname, port, haConnections: 1);
    }

    public async Task DisposeAsync()
    {
        if (_sshd is { HasExited: false }) _sshd.Kill();
        _sshd?.Dispose();
        await _rig.DisposeAsync();
    }

    [Theory]
    [InlineData("ssh")]
    [InlineData("tcp")]
    public async Task OpenSsh_WithAccessAsItsProxyCommand_RunsACommandAndCarriesBytesExactly(string verb)
    {
        var (id, secret) = _rig.ServiceToken;
        var proxy = $"dotnet {Repo.CliDll} access {verb} --hostname %h --edge {_rig.EdgeUrl} --ca-file {_rig.CaFile} --no-browser";
        var payload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var input = Path.Combine(_dir, "payload.bin");
        await File.WriteAllBytesAsync(input, payload);

        // The service token reaches the ProxyCommand through the environment, never its command line.
        var (exit, output) = await Tool.Run("/bin/sh", ["-c",
            $"ssh -o ProxyCommand='{proxy}' -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes " +
            $"-i {_dir}/client root@{Hostname} 'echo through-the-tunnel; sha256sum' < {input}"],
            TimeSpan.FromSeconds(90),
            new Dictionary<string, string> { ["TUNNEL_SERVICE_TOKEN_ID"] = id, ["TUNNEL_SERVICE_TOKEN_SECRET"] = secret });

        Assert.True(exit == 0, $"ssh exited with {exit}:\n{output}");
        Assert.Contains("through-the-tunnel", output);
        Assert.Contains(Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant(), output);
    }
}
