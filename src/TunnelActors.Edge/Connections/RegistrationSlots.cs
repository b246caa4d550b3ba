using System.Collections.Concurrent;
using System.Net;

namespace TunnelActors.Edge.Connections;

/// <summary>
/// Bounds what a stranger can hold open before proving anything: connector upgrades that have
/// not registered yet, at most <see cref="MaxPending"/> on this edge and <see cref="MaxPendingPerIp"/>
/// from one address (one IPv6 /64). A slot is taken before the WebSocket is accepted and given back when the
/// connection registers or ends; the registration timeout bounds how long one can be held.
/// </summary>
public sealed class RegistrationSlots(int maxPending = RegistrationSlots.MaxPending, int maxPendingPerIp = RegistrationSlots.MaxPendingPerIp)
{
    public const int MaxPending = 1024;
    public const int MaxPendingPerIp = 16;

    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private int _pending;

    public int Pending => Volatile.Read(ref _pending);

    /// <summary>A slot for <paramref name="source"/>, or null with the reason when a limit is reached.</summary>
    public (Slot? Slot, string? Refusal) TryTake(IPAddress source)
    {
        if (Interlocked.Increment(ref _pending) > maxPending)
        {
            Interlocked.Decrement(ref _pending);
            return (null, $"{maxPending} connector connections are waiting to register on this edge; try again shortly");
        }
        source = Hosting.SourcePrefix.Of(source);
        var count = _perIp.AddOrUpdate(source, 1, (_, n) => n + 1);
        if (count > maxPendingPerIp)
        {
            Release(source);
            return (null, $"{maxPendingPerIp} connections from {source} are waiting to register; register or close them first");
        }
        return (new Slot(this, source), null);
    }

    private void Release(IPAddress source)
    {
        Interlocked.Decrement(ref _pending);
        // Remove the entry at zero so the table holds only addresses with pending connections.
        if (_perIp.AddOrUpdate(source, 0, (_, n) => n - 1) <= 0) _perIp.TryRemove(new KeyValuePair<IPAddress, int>(source, 0));
    }

    /// <summary>One pending registration; disposing it (any number of times) gives the slot back.</summary>
    public sealed class Slot(RegistrationSlots owner, IPAddress source) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release(source);
        }
    }
}
