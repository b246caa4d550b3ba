using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using TunnelActors.Access.Certificates;
using TunnelActors.E2E.Tests.Infrastructure;
using TunnelActors.Protocol;

namespace TunnelActors.E2E.Tests;

/// <summary>
/// The connection window is negotiated at REGISTER: a connector that does not offer one (an older
/// build) registers and is served as before — REGISTERED in the old form, streams opened with the
/// fixed 1 MiB window it was built for — while one that offers a window gets the edge's.
/// </summary>
[Collection(EchoTunnelCollection.Name)]
public sealed class ConnectorCompatibilityTests(EchoTunnelFixture fixture)
{
    [Theory]
    [InlineData(0u, 0u, 1024u * 1024)]                     // an older connector
    [InlineData(64u << 20, 64u << 20, 128u * 1024)]        // this version: auto-tuned windows from 128 KiB
    public async Task Register_WithOrWithoutAConnectionWindow_IsAnsweredInKind(uint offered, uint expectedWindow, uint expectedOpenWindow)
    {
        var hostname = $"compat-{offered}.site.test";
        using var origin = X509Certificate2.CreateFromPemFile(fixture.Rig.OriginCert);
        using var connector = await fixture.Rig.ConnectClient("127.0.0.1", withToken: false, path: "/cdn-cgi/tunnel/connect");
        var challenge = connector.HttpResponseHeaders![OriginCredential.ChallengeHeader].Single();
        var register = new RegisterPayload(hostname, "compat", "r1", origin.RawData, OriginCredential.Sign(origin, challenge, hostname, "compat"), offered);
        await connector.SendAsync(FrameCodec.Encode(register.ToFrame()), WebSocketMessageType.Binary, true, CancellationToken.None);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var frames = new FrameStream(connector);

        var registered = await frames.Next(FrameType.Registered, cancel.Token);
        var answer = RegisteredPayload.Parse(registered.Payload.Span);
        Assert.Equal(expectedWindow, answer.ConnectionWindow);
        if (offered == 0) // the old form, byte for byte: an older connector's parser refuses a trailing field
            Assert.Equal(new RegisteredPayload(answer.ConnectionId, answer.EdgeNode).ToFrame().Payload.Length, registered.Payload.Length);

        using var client = await fixture.Rig.ConnectClient(hostname, cancellationToken: cancel.Token);
        var open = OpenPayload.Parse((await frames.Next(FrameType.Open, cancel.Token)).Payload.Span);
        Assert.Equal(hostname, open.Hostname);
        Assert.Equal(expectedOpenWindow, open.InitialWindow);
    }

    /// <summary>Frames from a raw connector WebSocket.</summary>
    private sealed class FrameStream(ClientWebSocket socket)
    {
        private readonly FrameReader _reader = new();
        private readonly Queue<Frame> _pending = new();
        private readonly byte[] _buffer = new byte[64 * 1024];

        public async Task<Frame> Next(FrameType type, CancellationToken cancellationToken)
        {
            while (true)
            {
                while (_pending.TryDequeue(out var frame))
                    if (frame.Type == type) return frame;
                var received = await socket.ReceiveAsync(_buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close) throw new EndOfStreamException($"closed before {type}: {socket.CloseStatusDescription}");
                var decoded = new List<Frame>();
                _reader.Feed(_buffer.AsSpan(0, received.Count), decoded);
                foreach (var f in decoded) _pending.Enqueue(f);
            }
        }
    }
}
