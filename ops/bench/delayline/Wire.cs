using System.Diagnostics;

namespace TunnelActors.DelayLine;

/// <summary>
/// One direction of the emulated link, shared by every connection through the relay: bytes leave
/// one after another at <see cref="BytesPerSecond"/> (serialisation) and arrive one-way
/// <see cref="Delay"/> later. At most <see cref="QueueAllowance"/> of serialisation may wait ahead
/// of now, so the relay holds at most rate × (delay + allowance) bytes and pushes back on the
/// sender beyond that, as a router with a short queue would.
/// </summary>
public sealed class Wire(long bytesPerSecond, TimeSpan delay)
{
    private static readonly double TicksPerSecond = Stopwatch.Frequency;
    private readonly object _gate = new();
    private long _freeAt; // Stopwatch ticks at which the last scheduled byte has left

    public long BytesPerSecond { get; } = bytesPerSecond;
    public TimeSpan Delay { get; } = delay;
    public TimeSpan QueueAllowance { get; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Schedules <paramref name="bytes"/>: returns when they arrive and how long the reader must wait before reading more.</summary>
    public (long ArrivesAt, TimeSpan Backoff) Send(int bytes)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            var departs = Math.Max(now, _freeAt) + (long)(bytes * TicksPerSecond / BytesPerSecond);
            _freeAt = departs;
            var arrives = departs + (long)(Delay.TotalSeconds * TicksPerSecond);
            var ahead = Stopwatch.GetElapsedTime(now, departs) - QueueAllowance;
            return (arrives, ahead > TimeSpan.Zero ? ahead : TimeSpan.Zero);
        }
    }

    /// <summary>When a FIN sent now arrives: after every byte already scheduled.</summary>
    public long FinArrivesAt()
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate) return Math.Max(now, _freeAt) + (long)(Delay.TotalSeconds * TicksPerSecond);
    }
}
