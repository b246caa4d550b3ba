namespace TunnelActors.Protocol;

/// <summary>Size limits checked against every header before anything is allocated.</summary>
public sealed record FrameLimits
{
    /// <summary>Largest DATA payload accepted (default 64 KiB; senders cut at <see cref="MaxDataChunk"/>).</summary>
    public int MaxDataPayload { get; init; } = 64 * 1024;

    /// <summary>Largest payload of any control frame (default 16 KiB: a REGISTER carries a certificate).</summary>
    public int MaxControlPayload { get; init; } = 16 * 1024;

    /// <summary>Senders split writes into DATA frames of at most this many bytes (default 64 KiB: one frame per relay read).</summary>
    public int MaxDataChunk { get; init; } = 64 * 1024;

    public static FrameLimits Default { get; } = new();

    public int MaxPayload(FrameType type) => type == FrameType.Data ? MaxDataPayload : MaxControlPayload;
}
