using System.Net.WebSockets;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// The `--edge` replicas an access client may use: it sticks to the last one that answered
/// and moves to the next only when that one is unreachable or draining (503), or when its
/// carrier fell silent (<see cref="Avoid"/>), so a stopped, frozen or restarting edge costs a
/// new connection one failed dial, never an error to the user.
/// Refusals that every edge would give alike (401, 403, 404) are final. Thread-safe.
/// </summary>
public sealed class EdgeFailover(IReadOnlyList<EdgeDialer> dialers)
{
    private int _preferred;

    public Uri Primary => dialers[0].Edge;

    public string Describe => string.Join(", ", dialers.Select(d => d.Edge));

    public async Task<(ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers, Uri Edge)> ConnectAsync(
        string path, string hostname, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref _preferred);
        Exception? last = null;
        for (var i = 0; i < dialers.Count; i++)
        {
            var index = (start + i) % dialers.Count;
            try
            {
                var (socket, responseHeaders) = await dialers[index].ConnectAsync(path, hostname, headers, cancellationToken);
                Volatile.Write(ref _preferred, index);
                return (socket, responseHeaders, dialers[index].Edge);
            }
            catch (Exception e) when (e is IOException or TimeoutException || e is EdgeRefusedException { Status: 503 })
            {
                last = e;
            }
        }
        throw last!;
    }

    /// <summary>The next dial starts with the edge after <paramref name="edge"/> (it stopped answering); no change with one edge.</summary>
    public void Avoid(Uri edge)
    {
        var current = Volatile.Read(ref _preferred);
        if (dialers[current].Edge == edge) Interlocked.CompareExchange(ref _preferred, (current + 1) % dialers.Count, current);
    }
}
