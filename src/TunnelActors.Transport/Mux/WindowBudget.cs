namespace TunnelActors.Transport.Mux;

/// <summary>
/// Bytes of receive window that auto-tuning may add beyond the streams' initial windows: one per
/// connection (its share) under one per process (the memory an edge or connector will buffer for
/// all its streams). A stream grows its window only when every level has room. Thread-safe.
/// </summary>
public sealed class WindowBudget(long capacity, WindowBudget? parent = null)
{
    private long _reserved;

    /// <summary>The process-wide budget every connection draws on unless its options name another (default 256 MiB).</summary>
    public static WindowBudget Process { get; } = new(256L << 20);

    public long Capacity { get; } = capacity;
    public long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Reserves <paramref name="bytes"/> here and in every parent, or nothing.</summary>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Add(ref _reserved, bytes) > Capacity || parent?.TryReserve(bytes) == false)
        {
            Interlocked.Add(ref _reserved, -bytes);
            return false;
        }
        return true;
    }

    public void Release(long bytes)
    {
        Interlocked.Add(ref _reserved, -bytes);
        parent?.Release(bytes);
    }
}
