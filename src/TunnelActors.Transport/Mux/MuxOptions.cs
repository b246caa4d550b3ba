using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>Limits and windows of one multiplexed connection.</summary>
public sealed record MuxOptions
{
    /// <summary>Bytes a peer may send on one stream before we grant more (default 1 MiB; bounds per-stream memory).</summary>
    public uint StreamWindow { get; init; } = 1024 * 1024;

    /// <summary>Concurrent streams per connection (default 4096); an OPEN beyond it is refused with RST.</summary>
    public int MaxStreams { get; init; } = 4096;

    /// <summary>Frames queued for the carrier before writers wait (default 64: at most ~2 MiB per connection).</summary>
    public int OutboxFrames { get; init; } = 64;

    /// <summary>Control frames queued ahead of data (default 1024); PONGs beyond it are dropped.</summary>
    public int ControlFrames { get; init; } = 1024;

    /// <summary>Carrier read size (default 64 KiB).</summary>
    public int ReadChunkSize { get; init; } = 64 * 1024;

    /// <summary>Largest carrier message the writer builds by batching queued frames (default 256 KiB).</summary>
    public int MaxBatchBytes { get; init; } = 256 * 1024;

    public FrameLimits Limits { get; init; } = FrameLimits.Default;

    public static MuxOptions Default { get; } = new();
}
