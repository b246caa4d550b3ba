using Akka.Event;
using Akka.Remote.Hosting;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// Akka remoting between edges runs over TLS with both sides authenticated: each edge presents
/// a certificate its cluster CA (shared through the control-plane database) issued at start,
/// and accepts a peer only when the peer's certificate chains to that same CA — never to a
/// system root. A stranger who reaches `--cluster-host` cannot complete the handshake, so
/// nothing it sends reaches the Hyperion deserializer.
/// </summary>
public static class ClusterLinks
{
    private const string Plain = "akka.tcp://";
    private const string Tls = "akka.ssl.tcp://";

    public static SslOptions MutualTls(EdgeIdentity identity)
    {
        var authority = identity.ClusterAuthority.Certificate;
        return new SslOptions
        {
            X509Certificate = identity.ClusterCertificate,
            RequireMutualAuthentication = true,
            SuppressValidation = false,
            CustomValidator = (certificate, chain, peer, _, log) =>
            {
                if (certificate is not null && Transport.Tls.EdgeTrust.IssuedBy(authority, certificate)) return true;
                log.Warning("Refused a cluster link from {0}: its certificate ({1}) is not from this cluster's CA", peer, certificate?.Subject ?? "none");
                return false;
            },
        };
    }

    /// <summary>Seed nodes written the usual way (akka.tcp://) name the TLS transport the edges use.</summary>
    public static string SeedAddress(string seed) =>
        seed.StartsWith(Plain, StringComparison.Ordinal) ? Tls + seed[Plain.Length..] : seed;
}
