using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// What a <see cref="MuxConnection"/> reports to its owner. Called on the connection's dispatcher:
/// implementations must not block (an actor-backed handler just Tells).
/// </summary>
public interface IMuxHandler
{
    /// <summary>The peer opened a stream (connector side).</summary>
    void OnStreamOpened(MuxStream stream);

    /// <summary>REGISTER, REGISTERED or GOAWAY arrived.</summary>
    void OnControlFrame(Frame frame);

    /// <summary>
    /// A frame broke the protocol on one stream; that stream was reset. Reports are rate-limited
    /// per connection: <paramref name="suppressed"/> errors since the last report went unreported.
    /// </summary>
    void OnStreamError(uint streamId, ProtocolException error, int suppressed);
}
