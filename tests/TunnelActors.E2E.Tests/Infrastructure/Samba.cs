using System.Security.Cryptography;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>A real smbd on a loopback high port, started by the project's fixture script.</summary>
public sealed class Samba : IAsyncDisposable
{
    private Samba(string stateDir, int port, string user, string password) =>
        (StateDir, Port, User, Password) = (stateDir, port, user, password);

    public string StateDir { get; }
    public int Port { get; }
    public string User { get; }
    public string Password { get; }
    public string ShareDir => Path.Combine(StateDir, "share");

    public static async Task<Samba> StartAsync()
    {
        var stateDir = Directory.CreateTempSubdirectory("tunnelactors-smb-").FullName;
        var samba = new Samba(stateDir, Ports.Free(), "tunneltest", Convert.ToHexString(RandomNumberGenerator.GetBytes(8)));
        var (exit, output) = await Tool.Run("bash", [Script("start-smbd.sh"), stateDir, samba.Port.ToString(), samba.User, samba.Password], TimeSpan.FromSeconds(60));
        if (exit != 0) throw new InvalidOperationException($"smbd did not start (exit {exit}):\n{output}");
        return samba;
    }

    /// <summary>Runs smbclient against <paramref name="port"/> with commands; returns exit code and output.</summary>
    public Task<(int Exit, string Output)> Client(int port, string commands, TimeSpan timeout) =>
        Tool.Run("smbclient", ["//127.0.0.1/share", "-p", port.ToString(), "-U", $"{User}%{Password}", "-m", "SMB3", "-c", commands], timeout);

    public async ValueTask DisposeAsync()
    {
        await Tool.Run("bash", [Script("stop-smbd.sh"), StateDir], TimeSpan.FromSeconds(30));
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string Script(string name) => Path.Combine(Repo.Root, "tests", "fixtures", "samba", name);
}
