using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>An operator drains a connector replica through the admin API: new streams go to the other replica.</summary>
public sealed class ReplicaDrainTests : IAsyncLifetime
{
    private const string Hostname = "replicas.site.test";
    private EdgeRig _rig = null!;
    private readonly EchoServer _echo = new();

    public async Task InitializeAsync()
    {
        _rig = await EdgeRig.StartAsync();
        await _rig.StartTunnel(Hostname, _echo.Port, haConnections: 1, extra: ["--replica-id", "replica-a"]);
        await _rig.StartTunnel(Hostname, _echo.Port, haConnections: 1, extra: ["--replica-id", "replica-b"]);
    }

    public async Task DisposeAsync()
    {
        await _rig.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Fact]
    public async Task DrainReplica_NewStreamsGoToTheOtherReplica_UnknownReplica404()
    {
        using var http = _rig.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(_rig.DataDir, "admin-token")).Trim());
        var (_, port) = await _rig.StartAccess(Hostname);

        var drained = await http.PostAsync($"/api/tunnels/{Hostname}/replicas/replica-a/drain", null);
        var unknown = await http.PostAsync($"/api/tunnels/{Hostname}/replicas/nobody/drain", null);
        var sockets = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port);
            await socket.SendAsync(new byte[] { 1 }, SocketFlags.None);
            await socket.ReceiveAsync(new byte[1], SocketFlags.None); // echoed: the stream is open end to end
            sockets.Add(socket);
        }
        var tunnel = (await http.GetFromJsonAsync<JsonElement>("/api/tunnels")).GetProperty("tunnels").EnumerateArray().Single(t => t.GetProperty("tunnel").GetString() == Hostname);
        var streamsByReplica = tunnel.GetProperty("connections").EnumerateArray()
            .ToDictionary(c => c.GetProperty("replica").GetString()!, c => (Streams: c.GetProperty("streams").GetArrayLength(), Draining: c.GetProperty("draining").GetBoolean()));
        var resumed = await http.PostAsync($"/api/tunnels/{Hostname}/replicas/replica-a/resume", null);
        foreach (var socket in sockets) socket.Dispose();

        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no live connection of replica nobody", await unknown.Content.ReadAsStringAsync());
        Assert.Equal((0, true), streamsByReplica["replica-a"]);
        Assert.Equal((4, false), streamsByReplica["replica-b"]);
        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
    }
}
