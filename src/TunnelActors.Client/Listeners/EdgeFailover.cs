using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// The `--edge` replicas an access client may use: it sticks to the last one that answered
/// and moves to the next only when that one is unreachable or refuses with 503 (draining, or on
/// the minority side of a partition), or when its carrier fell silent (<see cref="Avoid"/>).
/// A dial races, in the spirit of Happy Eyeballs: an edge that has not completed its TLS
/// handshake and upgrade within <see cref="HeadStart"/> (a frozen or black-holed edge, whose
/// kernel may still accept the TCP connection) gets the next edge dialled beside it, and the
/// first to answer wins — so such an edge costs a new connection about a second, not a dial
/// timeout. Refusals that every edge would give alike (401, 403, 404) are final. Thread-safe.
/// </summary>
public sealed class EdgeFailover(IReadOnlyList<EdgeDialer> dialers, ILogger? log = null)
{
    /// <summary>How long a dial has the edge to itself before the next edge is dialled beside it (a WAN handshake takes a few round trips).</summary>
    public static readonly TimeSpan HeadStart = TimeSpan.FromSeconds(1);

    private readonly ILogger _log = log ?? NullLogger.Instance;
    private int _preferred;

    public Uri Primary => dialers[0].Edge;

    public string Describe => string.Join(", ", dialers.Select(d => d.Edge));

    public async Task<(ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers, Uri Edge)> ConnectAsync(
        string path, string hostname, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref _preferred);
        using var race = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<(Task<(ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers)> Dial, int Index)>();
        var launched = 0;
        void Launch()
        {
            var index = (start + launched++) % dialers.Count;
            running.Add((dialers[index].ConnectAsync(path, hostname, headers, race.Token), index));
        }
        Exception? last = null;
        Launch();
        try
        {
            while (running.Count > 0)
            {
                var headStart = launched < dialers.Count ? Task.Delay(HeadStart, race.Token) : null;
                var done = await Task.WhenAny(running.Select(r => (Task)r.Dial).Append(headStart ?? Task.Delay(Timeout.Infinite, race.Token)));
                if (!running.Any(r => r.Dial == done))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var slow = running[^1].Index;
                    ClientLog.EdgeSlow(_log, dialers[slow].Edge.ToString(), HeadStart.TotalSeconds, dialers[(start + launched) % dialers.Count].Edge.ToString());
                    Launch();
                    continue;
                }
                var attempt = running.Single(r => r.Dial == done);
                running.Remove(attempt);
                try
                {
                    var (socket, responseHeaders) = await attempt.Dial;
                    Volatile.Write(ref _preferred, attempt.Index);
                    return (socket, responseHeaders, dialers[attempt.Index].Edge);
                }
                catch (Exception e) when (Unusable(e) || running.Count > 0 && e is not EdgeRefusedException { Status: 401 or 403 or 404 })
                {
                    // While another dial is under way, only a refusal every edge would give alike ends the race.
                    last = e;
                    if (launched < dialers.Count || running.Count > 0) ClientLog.EdgeFailed(_log, dialers[attempt.Index].Edge.ToString(), e.Message);
                    if (Unusable(e) && launched < dialers.Count) Launch();
                }
            }
            throw last!;
        }
        finally
        {
            race.Cancel(); // the dials that lost the race give up; one that completed anyway is closed
            foreach (var (dial, _) in running)
                _ = dial.ContinueWith(d => d.Result.Socket.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    // This edge cannot serve now (unreachable, slow, draining, on the minority side, not joined): the next one may.
    private static bool Unusable(Exception e) => e is IOException or TimeoutException || e is EdgeRefusedException { EdgeAliveButUnavailable: true };

    /// <summary>The next dial starts with the edge after <paramref name="edge"/> (it stopped answering); no change with one edge.</summary>
    public void Avoid(Uri edge)
    {
        var current = Volatile.Read(ref _preferred);
        if (dialers[current].Edge == edge) Interlocked.CompareExchange(ref _preferred, (current + 1) % dialers.Count, current);
    }
}
