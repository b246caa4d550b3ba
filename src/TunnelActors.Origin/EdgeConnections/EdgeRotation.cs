using TunnelActors.Transport.Tls;

namespace TunnelActors.Origin.EdgeConnections;

/// <summary>
/// Spreads the HA connections over the edge replicas given with `--edge`: connection i prefers
/// edge i mod n, so with as many connections as edges each edge holds one and every edge can
/// serve its clients locally. A connection that cannot reach its edge moves on to the next;
/// once it registers somewhere it goes back to preferring its own edge after the next loss,
/// so an edge that returns gets its connection back. Thread-safe: connection actors share it.
/// </summary>
public sealed class EdgeRotation
{
    private readonly EdgeDialer[] _dialers;
    private readonly int[] _failures;

    public EdgeRotation(IReadOnlyList<Uri> edges, string? caFile, int connections, TimeSpan connectTimeout)
    {
        if (edges.Count == 0) throw new ArgumentException("at least one edge is needed", nameof(edges));
        _dialers = edges.Select(e => new EdgeDialer(e, caFile, connectTimeout)).ToArray();
        _failures = new int[connections];
    }

    /// <summary>The edge connection <paramref name="index"/> should dial now.</summary>
    public EdgeDialer DialerFor(int index) => _dialers[(index + Volatile.Read(ref _failures[index])) % _dialers.Length];

    /// <summary>The edge connection <paramref name="index"/> belongs on when every edge is up.</summary>
    public EdgeDialer PreferredFor(int index) => _dialers[index % _dialers.Length];

    public void Failed(int index) => Interlocked.Increment(ref _failures[index]);

    /// <summary>The next dial of connection <paramref name="index"/> goes to the edge after <paramref name="current"/> (it is draining).</summary>
    public void MoveAfter(int index, EdgeDialer current)
    {
        var n = _dialers.Length;
        var position = Array.IndexOf(_dialers, current);
        Volatile.Write(ref _failures[index], ((position + 1 - index) % n + n) % n);
    }

    public void Registered(int index) => Volatile.Write(ref _failures[index], 0);
}
