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

    /// <summary>
    /// PING/PONG carry an 8-byte opaque value, WINDOW_UPDATE a 4-byte increment, FIN nothing: no
    /// more is accepted, so a peer cannot make us hold (or echo back) kilobytes per control frame.
    /// </summary>
    public int MaxPayload(FrameType type) => type switch
    {
        FrameType.Data => MaxDataPayload,
        FrameType.Ping or FrameType.Pong => Math.Min(8, MaxControlPayload),
        FrameType.WindowUpdate => Math.Min(4, MaxControlPayload),
        FrameType.Fin => 0,
        _ => MaxControlPayload,
    };
}
