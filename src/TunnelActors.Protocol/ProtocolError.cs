namespace TunnelActors.Protocol;

/// <summary>Why a peer's input was rejected. Also sent as the RST/GOAWAY reason code.</summary>
public enum ProtocolError : byte
{
    None = 0,
    /// <summary>The frame type byte names no known frame.</summary>
    UnknownFrameType = 1,
    /// <summary>A header announced more payload than the limit for its type.</summary>
    FrameTooLarge = 2,
    /// <summary>The input ended in the middle of a frame.</summary>
    Truncated = 3,
    /// <summary>A payload did not parse as its frame type requires.</summary>
    MalformedPayload = 4,
    /// <summary>The peer sent more DATA than the window it was granted.</summary>
    FlowControl = 5,
    /// <summary>A frame arrived that its stream's state does not allow.</summary>
    StreamState = 6,
    /// <summary>Too many concurrent streams on one connection.</summary>
    TooManyStreams = 7,
    /// <summary>The stream was refused or aborted by its far end (origin unreachable, client gone...).</summary>
    Refused = 8,
    /// <summary>The stream was cancelled locally (shutdown, kill switch).</summary>
    Cancelled = 9,
}

/// <summary>A typed protocol violation; the message names the field and the value.</summary>
public sealed class ProtocolException(ProtocolError error, string message) : Exception(message)
{
    public ProtocolError Error { get; } = error;
}
