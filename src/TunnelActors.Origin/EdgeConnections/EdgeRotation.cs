using TunnelActors.Transport.Tls;

namespace TunnelActors.Origin.EdgeConnections;

/// <summary>
/// Spreads the HA connections over the edge replicas given with `--edge`: connection i prefers
/// edge i mod n, so with as many connections as edges each edge holds one and every edge can
/// serve its clients locally. A connection that cannot reach its edge moves on to the next;
/// once it registers somewhere it goes back to preferring its own edge after the next loss,
/// so an edge that returns gets its connection back. An edge that failed a dial or fell silent
/// is skipped by every connection for <see cref="AvoidFor"/> (unless all edges did), so a frozen
/// edge costs one connection one dial, not each connection its own dial timeout.
/// Thread-safe: connection actors share it.
/// </summary>
public sealed class EdgeRotation
{
    /// <summary>How long an edge that failed a dial or went silent is skipped (its return is noticed by the preferred-edge check, on /ready).</summary>
    public static readonly TimeSpan AvoidFor = TimeSpan.FromSeconds(30);

    private readonly EdgeDialer[] _dialers;
    private readonly int[] _failures;
    private readonly long[] _failedAt; // per edge: Environment.TickCount64 of its last failure, 0 if none
    private readonly Func<long> _now;

    public EdgeRotation(IReadOnlyList<Uri> edges, string? caFile, int connections, TimeSpan connectTimeout, Func<long>? now = null)
    {
        if (edges.Count == 0) throw new ArgumentException("at least one edge is needed", nameof(edges));
        _dialers = edges.Select(e => new EdgeDialer(e, caFile, connectTimeout)).ToArray();
        _failures = new int[connections];
        _failedAt = new long[_dialers.Length];
        _now = now ?? (() => Environment.TickCount64);
    }

    /// <summary>The edge connection <paramref name="index"/> should dial now: its turn in the rotation, past edges that failed lately.</summary>
    public EdgeDialer DialerFor(int index)
    {
        var turn = (index + Volatile.Read(ref _failures[index])) % _dialers.Length;
        for (var k = 0; k < _dialers.Length; k++)
        {
            var candidate = (turn + k) % _dialers.Length;
            if (!FailedLately(candidate)) return _dialers[candidate];
        }
        return _dialers[turn]; // every edge failed lately: keep rotating through them
    }

    /// <summary>The edge connection <paramref name="index"/> belongs on when every edge is up.</summary>
    public EdgeDialer PreferredFor(int index) => _dialers[index % _dialers.Length];

    /// <summary>Connection <paramref name="index"/> could not use <paramref name="edge"/>: it tries the next, and every connection avoids that edge a while.</summary>
    public void Failed(int index, EdgeDialer edge)
    {
        MarkFailed(edge);
        Interlocked.Increment(ref _failures[index]);
    }

    /// <summary>The next dial of connection <paramref name="index"/> goes to the edge after <paramref name="current"/> (it is draining or silent).</summary>
    public void MoveAfter(int index, EdgeDialer current)
    {
        MarkFailed(current);
        var n = _dialers.Length;
        var position = Array.IndexOf(_dialers, current);
        Volatile.Write(ref _failures[index], ((position + 1 - index) % n + n) % n);
    }

    public void Registered(int index, EdgeDialer edge)
    {
        Volatile.Write(ref _failures[index], 0);
        Volatile.Write(ref _failedAt[Array.IndexOf(_dialers, edge)], 0);
    }

    /// <summary><paramref name="edge"/> answers /ready again: no connection skips it any more (a move back lands on it).</summary>
    public void Answered(EdgeDialer edge) => Volatile.Write(ref _failedAt[Array.IndexOf(_dialers, edge)], 0);

    private void MarkFailed(EdgeDialer edge) => Volatile.Write(ref _failedAt[Array.IndexOf(_dialers, edge)], Math.Max(1, _now()));

    private bool FailedLately(int edge) => Volatile.Read(ref _failedAt[edge]) is var at && at != 0 && _now() - at < (long)AvoidFor.TotalMilliseconds;
}
