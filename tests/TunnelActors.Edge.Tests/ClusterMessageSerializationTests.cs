using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using TunnelActors.Edge.Connections;
using TunnelActors.Edge.Tunnels;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Tests;

/// <summary>
/// Every message that crosses edge nodes (heartbeats, picks, operator queries) must survive
/// the serializer the edge binds to <see cref="IClusterMessage"/> (Hyperion, see EdgeHost): a
/// message without the marker, or a field the serializer dropped, would fail only once a second
/// node joined.
/// </summary>
public sealed class ClusterMessageSerializationTests() : TestKit(ConfigurationFactory.ParseString("""
    akka.actor {
      serializers.hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
      serialization-bindings { "TunnelActors.Edge.IClusterMessage, TunnelActors.Edge" = hyperion }
    }
    """))
{
    public static TheoryData<string> MessageNames => new(Messages(null!).Keys);

    private static Dictionary<string, object> Messages(IActorRef actor) => new()
    {
        ["heartbeat"] = new ConnectionHeartbeat("smb.site.test", "1@node", actor, "akka.tcp://tunnelactors@10.0.0.1:4053", "https://10.0.0.1:8443", "smb", "r1", 3),
        ["closed"] = new ConnectionClosed("smb.site.test", "1@node"),
        ["pick"] = new PickConnection("smb.site.test", "akka.tcp://tunnelactors@10.0.0.2:4053"),
        ["picked"] = new ConnectionPicked("1@node", actor, "akka.tcp://tunnelactors@10.0.0.1:4053", "https://10.0.0.1:8443"),
        ["no-connection"] = new NoConnection("smb.site.test", "no connector is connected"),
        ["get-tunnel"] = new GetTunnelState("smb.site.test"),
        ["get-connection"] = new GetConnectionState(),
        ["close"] = new CloseConnection("operator"),
        ["refused"] = new StreamRefused("draining"),
    };

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Message_RoundTripsThroughTheBoundSerializer(string name)
    {
        var message = Messages(TestActor)[name];
        var serializer = Sys.Serialization.FindSerializerFor(message);

        var copy = serializer.FromBinary(serializer.ToBinary(message), message.GetType());

        Assert.IsAssignableFrom<IClusterMessage>(message);
        Assert.Equal("HyperionSerializer", serializer.GetType().Name);
        Assert.Equal(message, copy);
    }

    [Fact]
    public void TunnelState_WithConnections_RoundTripsWithActorRefsIntact()
    {
        var state = new TunnelState("smb.site.test", [new TunnelConnection("1@node", TestActor, "node", "smb", "r1", 2, DateTime.UtcNow)]);
        var serializer = Sys.Serialization.FindSerializerFor(state);

        var copy = (TunnelState)serializer.FromBinary(serializer.ToBinary(state), typeof(TunnelState));

        Assert.Equal(state.Connections, copy.Connections);
        Assert.Equal(TestActor, copy.Connections[0].Connection);
    }
}
