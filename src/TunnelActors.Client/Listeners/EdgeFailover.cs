using System.Net.WebSockets;
using TunnelActors.Transport.Tls;

namespace TunnelActors.Client.Listeners;

/// <summary>
/// The `--edge` replicas an access client may use: it sticks to the last one that answered
/// and moves to the next only when that one is unreachable or draining (503), so a stopped
/// or restarting edge costs a new connection one failed dial, never an error to the user.
/// Refusals that every edge would give alike (401, 403, 404) are final. Thread-safe.
/// </summary>
public sealed class EdgeFailover(IReadOnlyList<EdgeDialer> dialers)
{
    private int _preferred;

    public Uri Primary => dialers[0].Edge;

    public async Task<(ClientWebSocket Socket, IReadOnlyDictionary<string, IEnumerable<string>> Headers)> ConnectAsync(
        string path, string hostname, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref _preferred);
        Exception? last = null;
        for (var i = 0; i < dialers.Count; i++)
        {
            var index = (start + i) % dialers.Count;
            try
            {
                var connected = await dialers[index].ConnectAsync(path, hostname, headers, cancellationToken);
                Volatile.Write(ref _preferred, index);
                return connected;
            }
            catch (Exception e) when (e is IOException or TimeoutException || e is EdgeRefusedException { Status: 503 })
            {
                last = e;
            }
        }
        throw last!;
    }
}
