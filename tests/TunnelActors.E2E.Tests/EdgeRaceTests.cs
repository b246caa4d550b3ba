using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TunnelActors.E2E.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// A client whose first `--edge` accepts TCP and then says nothing (a frozen or black-holed edge:
/// its kernel still completes the handshake) races the next edge after a head start instead of
/// waiting out its dial timeout.
/// </summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class EdgeRaceTests(EchoTunnelFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task FirstEdgeNeverAnswersItsHandshake_TheNextEdgeIsDialledBesideIt_AndTheConnectionSucceeds()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0); // accepts (the backlog does), never speaks TLS
        silent.Start();
        var silentEdge = $"https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}";
        var (access, port) = await fixture.Rig.StartAccess(EchoTunnelFixture.Hostname, replaceEdge: true,
            extra: ["--edge", silentEdge, "--edge", fixture.Rig.EdgeUrl]);

        var clock = Stopwatch.StartNew();
        // Under the 15 s dial timeout that a dial in turn would wait on the silent edge.
        var result = await TcpExchange.RunAsync(port, 64 * 1024, seed: 41, TimeSpan.FromSeconds(14));
        output.WriteLine($"first connection through a client whose first edge is silent: {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        await access.WaitForOutput($"Edge {silentEdge}/ has not finished its TLS handshake", TimeSpan.FromSeconds(30));

        // The carrier on the edge that answered carries the next connection too.
        clock.Restart();
        result = await TcpExchange.RunAsync(port, 1024, seed: 42, TimeSpan.FromSeconds(30));
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
        output.WriteLine($"second connection: {clock.Elapsed.TotalSeconds:0.00} s");
    }
}
