using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>A mux stream was reset (RST received or sent, or its connection was lost).</summary>
public sealed class StreamResetException(uint streamId, ProtocolError code, string reason)
    : IOException($"stream {streamId} reset ({code}): {reason}")
{
    public ProtocolError Code { get; } = code;
    public string Reason { get; } = reason;
}
