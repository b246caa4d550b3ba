using Akka.Actor;
using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>The peer opened a stream on a connection owned by an actor.</summary>
public sealed record MuxStreamOpened(MuxStream Stream);

/// <summary>A connection-level control frame (REGISTER, REGISTERED, GOAWAY) arrived.</summary>
public sealed record MuxControlFrame(Frame Frame);

/// <summary>A frame broke the protocol on one stream, which was reset; <paramref name="Suppressed"/> errors before it went unreported.</summary>
public sealed record MuxStreamError(uint StreamId, ProtocolException Error, int Suppressed = 0)
{
    /// <summary>The error for a log line, with how many like it were not logged.</summary>
    public string Reason => Suppressed == 0 ? Error.Message : $"{Error.Message} (and {Suppressed} protocol errors before it, not logged)";
}

/// <summary>Turns session events into messages to the owning actor: Tell never blocks the dispatcher.</summary>
public sealed class ActorMuxHandler(IActorRef owner) : IMuxHandler
{
    public void OnStreamOpened(MuxStream stream) => owner.Tell(new MuxStreamOpened(stream));
    public void OnControlFrame(Frame frame) => owner.Tell(new MuxControlFrame(frame));
    public void OnStreamError(uint streamId, ProtocolException error, int suppressed) => owner.Tell(new MuxStreamError(streamId, error, suppressed));
}
