using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>A mux stream was reset (RST received or sent, or its connection was lost).</summary>
public sealed class StreamResetException(uint streamId, ProtocolError code, string reason)
    : IOException($"stream {streamId} reset ({code}): {reason}")
{
    /// <summary>How <see cref="Reason"/> starts when the peer sent the RST (its own reason follows).</summary>
    public const string ByPeer = "peer reset: ";

    public ProtocolError Code { get; } = code;
    public string Reason { get; } = reason;
}
