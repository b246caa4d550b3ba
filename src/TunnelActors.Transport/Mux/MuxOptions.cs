using TunnelActors.Protocol;

namespace TunnelActors.Transport.Mux;

/// <summary>Limits and windows of one multiplexed connection.</summary>
public sealed record MuxOptions
{
    /// <summary>
    /// The receive window a stream starts with (default 128 KiB), which we announce when we open one.
    /// Auto-tuning doubles it while the window, not the reader, limits the stream (<see cref="WindowTuner"/>).
    /// </summary>
    public uint StreamWindow { get; init; } = 128 * 1024;

    /// <summary>
    /// The largest a stream's receive window grows to (default 16 MiB: 100 MB/s over a 100 ms round trip),
    /// and the largest initial window a peer's OPEN may announce. Equal to <see cref="StreamWindow"/>: no auto-tuning.
    /// </summary>
    public uint MaxStreamWindow { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Bytes the peer may have in flight across all streams of the connection (default 64 MiB), when both ends
    /// agreed on a connection window at REGISTER; also the connection's share of window growth. What streams
    /// buffer is bounded by their own windows: their initial windows plus this growth.
    /// </summary>
    public uint ConnectionWindow { get; init; } = 64 * 1024 * 1024;

    /// <summary>The process-wide limit on window growth that every connection's share draws on (default <see cref="WindowBudget.Process"/>).</summary>
    public WindowBudget WindowBudget { get; init; } = WindowBudget.Process;

    /// <summary>A stream that consumed nothing for this long shrinks back to its initial window (default 10 s).</summary>
    public TimeSpan IdleWindowAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The largest window a peer's OPEN may announce (default: <see cref="MaxStreamWindow"/>). A stream's window is
    /// what we buffer for it before any growth is budgeted, so connections from clients hold it to <see cref="StreamWindow"/>.
    /// </summary>
    public uint? MaxOpenWindow { get; init; }

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
