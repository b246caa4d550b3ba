using System.Net;
using System.Net.Sockets;
using TunnelActors.E2E.Tests.Infrastructure;

namespace TunnelActors.E2E.Tests;

/// <summary>`access tcp` at its connection limit: the next connection is refused at once and logged, never left hanging.</summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class AccessLimitsTests(EchoTunnelFixture fixture)
{
    [Fact]
    public async Task AtMaxConnections_TheNextConnectionIsResetAndLogged_AndServedAgainOnceOneCloses()
    {
        var (access, port) = await fixture.Rig.StartAccess(EchoTunnelFixture.Hostname, extra: ["--max-connections", "2"]);
        await using var _ = access;
        // StartAccess's readiness probe held a slot for a moment: retry until both are served.
        using var first = await WaitUntilServed(port);
        using var second = await WaitUntilServed(port);

        using var third = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var refused = await Record.ExceptionAsync(async () =>
        {
            // The kernel accepts; the listener must answer (on loopback its reset can even beat the connect's completion).
            await third.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
            if (await third.ReceiveAsync(new byte[1], SocketFlags.None, cancel.Token) != 0) throw new InvalidOperationException("the third connection got data");
        });
        Assert.True(refused is null or SocketException { SocketErrorCode: SocketError.ConnectionReset }, $"the third connection should be reset or closed at once, got {refused}");
        await access.WaitForOutput("the --max-connections limit", TimeSpan.FromSeconds(10));

        first.Close();
        using var again = await WaitUntilServed(port);
    }

    private static async Task<Socket> EchoedConnection(int port, string text)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try { return await EchoOn(socket, port, text); }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<Socket> EchoOn(Socket socket, int port, string text)
    {
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await Carrier.EchoOnce(socket, text);
        return socket;
    }

    // A freed slot is noticed when the closed connection's actor stops: try a few times.
    private static async Task<Socket> WaitUntilServed(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await EchoedConnection(port, $"attempt {attempt}");
            }
            catch (Exception e) when (attempt < 120 && e is SocketException or EndOfStreamException) { await Task.Delay(250); }
        }
    }
}
