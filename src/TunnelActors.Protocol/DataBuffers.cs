using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace TunnelActors.Protocol;

/// <summary>
/// Byte arrays for the data path, from the shared <see cref="ArrayPool{T}"/>: read chunks,
/// DATA payloads and encoded batches are rented, so the steady bulk path allocates nothing
/// per chunk or frame (a fresh 64 KiB array per read, and LOH-sized batches, kept the
/// edge's GC busy). Ownership is explicit: whoever ends a buffer's use returns it, exactly
/// once, and only when nothing can read or write it any more. A buffer dropped instead
/// (a failed write, a reset stream) is simply collected.
/// </summary>
public static class DataBuffers
{
    public static byte[] Rent(int minimumLength) => ArrayPool<byte>.Shared.Rent(minimumLength);

    /// <summary>Returns the array behind <paramref name="rented"/>; ignores empty memory and arrays no pool hands out.</summary>
    public static void Return(ReadOnlyMemory<byte> rented)
    {
        if (MemoryMarshal.TryGetArray(rented, out var segment) && segment.Array is { Length: >= 16 } array && BitOperations.IsPow2(array.Length))
            ArrayPool<byte>.Shared.Return(array);
    }
}
