using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Hosting;
using TunnelActors.Edge.Peers;
using TunnelActors.Protocol;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Edge.Tests;

public sealed class OutboundPeerLinkTests : TestKit
{
    [Fact]
    public void UnreachablePeer_LaterStreamsAreRefusedAtOnce_ThenTheLinkRedials()
    {
        var deadPeer = $"https://127.0.0.1:{UnusedPort()}";
        var backoff = TimeSpan.FromSeconds(8); // longer than a busy machine takes between the two refusals below
        var link = Sys.ActorOf(Props.Create(() => new OutboundPeerLinkActor(deadPeer,
            new EdgeDialer(new Uri(deadPeer), null, TimeSpan.FromSeconds(5)), "token", new EdgeOptions(), backoff)));
        Watch(link);
        var open = new OpenStream(new OpenPayload("smb.site.test", "alice@example.com", 1 << 20), new TunnelActors.Transport.Mux.StreamHandoff());

        link.Tell(open);
        Assert.Contains("cannot reach peer edge", ExpectMsg<StreamRefused>(TimeSpan.FromSeconds(10)).Reason);

        // Within the backoff: no new dial, an immediate answer that names the cause.
        link.Tell(open);
        var refused = ExpectMsg<StreamRefused>(TimeSpan.FromSeconds(10));
        Assert.Contains("cannot reach peer edge", refused.Reason);
        Assert.Contains("next attempt", refused.Reason);

        // After it, the link is gone: the next stream gets a fresh link that dials again.
        ExpectTerminated(link, backoff + TimeSpan.FromSeconds(30));
    }

    private static int UnusedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
