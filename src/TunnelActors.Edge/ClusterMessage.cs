namespace TunnelActors.Edge;

/// <summary>
/// Marks the messages that cross edge nodes over Akka remoting (heartbeats, picks, operator
/// queries and their answers): they are bound to the Hyperion serializer. Everything else
/// stays node-local — above all the byte streams, which never ride remoting.
/// </summary>
public interface IClusterMessage;
