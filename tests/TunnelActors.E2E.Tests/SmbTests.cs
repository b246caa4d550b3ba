using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TunnelActors.E2E.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TunnelActors.E2E.Tests;

/// <summary>The walkthrough made true: a real Samba share reached with smbclient through access tcp → edge → tunnel.</summary>
public sealed class SmbFixture : IAsyncLifetime
{
    public const string Hostname = "smb.site.test";

    public Samba Samba { get; private set; } = null!;
    public EdgeRig Rig { get; private set; } = null!;
    public int AccessPort { get; private set; }
    public CliProcess Access { get; private set; } = null!;
    public CliProcess Connector { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Samba = await Samba.StartAsync();
        Rig = await EdgeRig.StartAsync();
        Connector = await Rig.StartTunnel(Hostname, Samba.Port, haConnections: 4);
        (Access, AccessPort) = await Rig.StartAccess(Hostname);
    }

    public async Task DisposeAsync()
    {
        await Rig.DisposeAsync();
        await Samba.DisposeAsync();
    }
}

public sealed class SmbTests(SmbFixture fixture, ITestOutputHelper output) : IClassFixture<SmbFixture>
{
    [Fact]
    public async Task Smb_PutAndGet64MiB_Sha256IdenticalBothWays()
    {
        var work = Directory.CreateTempSubdirectory("smb-files-").FullName;
        var original = Path.Combine(work, "original.bin");
        await WriteRandomFile(original, 64 << 20, seed: 64);

        var (exit, log) = await fixture.Samba.Client(fixture.AccessPort,
            $"put {original} big.bin; get big.bin {Path.Combine(work, "back.bin")}", TimeSpan.FromMinutes(3));

        Assert.True(exit == 0 && !log.Contains("NT_STATUS"), log);
        var expected = Sha256(original);
        Assert.Equal(expected, Sha256(Path.Combine(fixture.Samba.ShareDir, "big.bin"))); // client → server
        Assert.Equal(expected, Sha256(Path.Combine(work, "back.bin")));                  // server → client
        output.WriteLine("through the tunnel: " + string.Join("; ", Rates(log)));

        var (directExit, directLog) = await fixture.Samba.Client(fixture.Samba.Port,
            $"put {original} direct.bin; get direct.bin {Path.Combine(work, "direct.bin")}", TimeSpan.FromMinutes(3));
        Assert.Equal(0, directExit);
        output.WriteLine("direct:             " + string.Join("; ", Rates(directLog)));
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Smb_TransferStreamClosedThroughTheApi_EndsThatTransferOnly()
    {
        var work = Directory.CreateTempSubdirectory("smb-close-").FullName;
        var original = Path.Combine(work, "large.bin");
        await WriteRandomFile(original, 512 << 20, seed: 7);
        using var admin = fixture.Rig.Admin();
        // Another client's connection, idle: it must outlive the close.
        using var bystander = new System.Net.Sockets.TcpClient();
        await bystander.ConnectAsync(System.Net.IPAddress.Loopback, fixture.AccessPort);

        var transfer = fixture.Samba.Client(fixture.AccessPort, $"put {original} cut.bin", TimeSpan.FromMinutes(3));
        string? closedId = null;
        for (var i = 0; i < 300 && closedId is null && !transfer.IsCompleted; i++)
        {
            await Task.Delay(50);
            var moving = (await StreamControlTests.Streams(admin, SmbFixture.Hostname)).FirstOrDefault(s => s.GetProperty("bytesToOrigin").GetInt64() > 8 << 20);
            if (moving.ValueKind == System.Text.Json.JsonValueKind.Undefined) continue;
            closedId = moving.GetProperty("streamId").GetString();
            Assert.True((await admin.PostAsync($"/api/streams/{Uri.EscapeDataString(closedId!)}/close?reason=test", null)).IsSuccessStatusCode);
        }
        var (exit, log) = await transfer;
        // smbclient hears the reset before the edge's stream actor has stopped: listed as "ending" until it has.
        var remaining = await StreamControlTests.Streams(admin, SmbFixture.Hostname);
        for (var deadline = DateTime.UtcNow.AddSeconds(10); remaining.Any(s => s.GetProperty("streamId").GetString() == closedId) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100);
            remaining = await StreamControlTests.Streams(admin, SmbFixture.Hostname);
        }
        var (afterExit, afterLog) = await fixture.Samba.Client(fixture.AccessPort, "ls", TimeSpan.FromMinutes(1));

        Assert.NotNull(closedId);
        Assert.True(exit != 0 || log.Contains("NT_STATUS"), $"the transfer was cut, yet smbclient reported success:\n{log}");
        Assert.True(!File.Exists(Path.Combine(fixture.Samba.ShareDir, "cut.bin")) || new FileInfo(Path.Combine(fixture.Samba.ShareDir, "cut.bin")).Length < 512 << 20);
        Assert.DoesNotContain(remaining, s => s.GetProperty("streamId").GetString() == closedId);
        Assert.NotEmpty(remaining); // the bystander's stream carries on
        await fixture.Access.WaitForOutput("ended by the edge: closed by an operator: test", TimeSpan.FromSeconds(10)); // the client's log says why
        // One id for the stream in every role's log: the client, the edge and the connector.
        Assert.Contains($"(stream {closedId}) ended by the edge", fixture.Access.Output);
        Assert.Contains($"Stream {closedId} opened", fixture.Rig.Edge.Output);
        Assert.Contains($"Stream {closedId} (", fixture.Connector.Output);
        Assert.True(afterExit == 0, afterLog);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Smb_TwentyConcurrentSessions_AllSucceedIntact()
    {
        var work = Directory.CreateTempSubdirectory("smb-sessions-").FullName;
        var sessions = Enumerable.Range(0, 20).Select(async i =>
        {
            var local = Path.Combine(work, $"file-{i}.bin");
            await WriteRandomFile(local, (1 << 20) + i, seed: i);
            var (exit, log) = await fixture.Samba.Client(fixture.AccessPort,
                $"put {local} session-{i}.bin; ls session-{i}.bin; get session-{i}.bin {local}.back", TimeSpan.FromMinutes(3));
            return (i, exit, log, same: exit == 0 && File.Exists(local + ".back") && Sha256(local).SequenceEqual(Sha256(local + ".back")));
        });

        var results = await Task.WhenAll(sessions);

        Assert.All(results, r => Assert.True(r.same && !r.log.Contains("NT_STATUS"), $"session {r.i} (exit {r.exit}):\n{r.log}"));
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Smb_WrongPassword_IsRefusedBySambaThroughTheTunnel()
    {
        var (exit, log) = await Tool.Run("smbclient",
            ["//127.0.0.1/share", "-p", fixture.AccessPort.ToString(), "-U", $"{fixture.Samba.User}%wrong", "-m", "SMB3", "-c", "ls"],
            TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exit);
        Assert.Contains("NT_STATUS_LOGON_FAILURE", log);
    }

    private static IEnumerable<string> Rates(string smbclientLog) =>
        Regex.Matches(smbclientLog, @"(putting|getting) file .*?\(([\d.]+) (kb/s|KiloBytes/sec)\)")
            .Select(m => $"{m.Groups[1].Value} {double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) / 1024:0} MiB/s");

    private static async Task WriteRandomFile(string path, int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        await File.WriteAllBytesAsync(path, bytes);
    }

    private static byte[] Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return SHA256.HashData(file);
    }
}
