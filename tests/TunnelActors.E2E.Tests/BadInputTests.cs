using System.Net;
using System.Net.WebSockets;
using TunnelActors.Access;
using TunnelActors.Access.Certificates;
using TunnelActors.E2E.Tests.Infrastructure;
using TunnelActors.Protocol;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// Bad input gets a clear refusal naming the cause, before any byte reaches the origin, and
/// disturbs nothing else: after each case the echo tunnel still carries a stream intact.
/// </summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class BadInputTests(EchoTunnelFixture fixture)
{
    [Fact]
    public async Task Client_WithoutCredential_Gets401WithReason()
    {
        var refusal = await Refusal(EchoTunnelFixture.Hostname, withToken: false);

        Assert.Equal(HttpStatusCode.Unauthorized, refusal.Status);
        Assert.Contains("no credential", refusal.Reason);
        await AssertEchoStillWorks();
    }

    [Fact]
    public async Task Client_WithWrongSecret_Gets403WithReason()
    {
        var refusal = await Refusal(EchoTunnelFixture.Hostname, withToken: true, secret: "not-the-secret");

        Assert.Equal(HttpStatusCode.Forbidden, refusal.Status);
        Assert.Contains("service token rejected", refusal.Reason);
        await AssertEchoStillWorks();
    }

    [Fact]
    public async Task Client_ForUnknownHostname_Gets404WithReason()
    {
        var refusal = await Refusal("nothing-here.site.test", withToken: true);

        Assert.Equal(HttpStatusCode.NotFound, refusal.Status);
        Assert.Contains("unknown hostname nothing-here.site.test", refusal.Reason);
    }

    [Fact]
    public async Task Carrier_GarbageFrameType_ClosesOnlyThatConnectionWithGoAwayReason()
    {
        var goAway = await SendRawToConnectEndpoint([0xEE, 0, 0, 0, 1, 0, 0, 0, 4, 1, 2, 3, 4]);

        Assert.Equal(ProtocolError.UnknownFrameType, goAway.Code);
        Assert.Contains("unknown frame type 0xee", goAway.Reason);
        await AssertEchoStillWorks();
    }

    [Fact]
    public async Task Carrier_OversizedFrameHeader_ClosesWithGoAwayBeforeAllocating()
    {
        // A DATA header announcing 2 GiB: refused on the header alone.
        var goAway = await SendRawToConnectEndpoint([(byte)FrameType.Data, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]);

        Assert.Equal(ProtocolError.FrameTooLarge, goAway.Code);
        Assert.Contains("limit is", goAway.Reason);
        await AssertEchoStillWorks();
    }

    [Fact]
    public async Task Connector_WithForeignCertificate_IsRefusedAndNeverReady()
    {
        var foreignCert = Path.Combine(fixture.Rig.DataDir, "foreign-cert.pem");
        var foreignCa = EdgeCertificateAuthority.Create("some other edge");
        SecretFile.Write(foreignCert, Pem.WithPrivateKey(foreignCa.IssueOriginCertificate("site.test", TimeSpan.FromDays(1))));

        var connector = await fixture.Rig.StartTunnel("foreign.site.test", fixture.Echo.Port, haConnections: 1, originCert: foreignCert, waitReady: false);
        await connector.WaitForOutput("edge refused this connector", TimeSpan.FromSeconds(30));

        Assert.Contains("not issued by this edge", connector.Output);
        using var http = new HttpClient();
        var ready = await http.GetAsync($"http://127.0.0.1:{connector.MetricsPort}/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        await fixture.Rig.Edge.WaitForOutput("not issued by this edge", TimeSpan.FromSeconds(30));
        await AssertEchoStillWorks();
    }

    [Fact]
    public async Task Connector_HostnameOutsideCertificateZone_ExitsWithReason()
    {
        var connector = CliProcess.Start("tunnel-outside-zone", fixture.Rig.DataDir,
            "tunnel", "--hostname", "smb.example.org", "--url", "tcp://127.0.0.1:1", "--edge", fixture.Rig.EdgeUrl,
            "--ca-file", fixture.Rig.CaFile, "--origincert", fixture.Rig.OriginCert);
        await using var _ = connector;

        var exitCode = await connector.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.Contains("outside the zone site.test", connector.Output);
    }

    [Fact]
    public async Task Client_TunnelWhoseOriginIsDown_IsResetWithoutDisturbingOthers()
    {
        var deadPort = Ports.Free(); // nothing listens here
        await using var connector = await fixture.Rig.StartTunnel("dead-origin.site.test", deadPort, haConnections: 1);
        using var socket = await fixture.Rig.ConnectClient("dead-origin.site.test");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var buffer = new byte[1024];
        var outcome = await ReceiveUntilEnd(socket, buffer, cancel.Token);

        Assert.True(outcome == "aborted" || outcome == "closed", outcome);
        await connector.WaitForOutput("unreachable", TimeSpan.FromSeconds(10));
        await AssertEchoStillWorks();
    }

    private async Task AssertEchoStillWorks()
    {
        var result = await TcpExchange.RunAsync(fixture.AccessPort, 256 * 1024, seed: 7, TimeSpan.FromSeconds(30));
        Assert.Equal(result.SentSha256, result.ReceivedSha256);
    }

    private async Task<ReasonPayload> SendRawToConnectEndpoint(byte[] bytes)
    {
        using var socket = await fixture.Rig.ConnectClient("127.0.0.1", withToken: false, path: "/cdn-cgi/tunnel/connect");
        await socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reader = new FrameReader();
        var frames = new List<Frame>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancel.Token);
            if (result.MessageType == WebSocketMessageType.Close) break;
            reader.Feed(buffer.AsSpan(0, result.Count), frames);
        }
        var goAway = Assert.Single(frames, f => f.Type == FrameType.GoAway);
        return ReasonPayload.Parse(goAway.Payload.Span, FrameType.GoAway);
    }

    private static async Task<string> ReceiveUntilEnd(ClientWebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close) return "closed";
            }
        }
        catch (WebSocketException) { return "aborted"; }
    }

    /// <summary>Sends a client WebSocket upgrade for <paramref name="hostname"/> and returns the refusal.</summary>
    private async Task<(HttpStatusCode Status, string Reason)> Refusal(string hostname, bool withToken, string? secret = null)
    {
        var (status, reason, body) = await fixture.Rig.UpgradeAsync(hostname, withToken ? fixture.Rig.ServiceTokenHeaders(secret) : null);
        Assert.NotEqual(HttpStatusCode.SwitchingProtocols, status);
        Assert.Equal(reason + "\n", body);
        return (status, reason);
    }
}
