using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TunnelActors.Access;
using TunnelActors.Access.Certificates;
using TunnelActors.Access.ServiceTokens;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Hosting;

/// <summary>
/// What an edge node loads at start: its three CAs (server: what clients trust; origin: signs
/// connectors' certificates; cluster: signs the edges' remoting certificates), its TLS and
/// cluster certificates, stores and shared tokens.
/// </summary>
public sealed record EdgeIdentity(EdgeCertificateAuthority Authority, EdgeCertificateAuthority OriginAuthority, EdgeCertificateAuthority ClusterAuthority,
    X509Certificate2 TlsCertificate, X509Certificate2 ClusterCertificate, EdgeStore Store, NamedTunnelStore Tunnels, OriginCertificateStore OriginCertificates,
    ServiceTokenStore ServiceTokens, string AdminToken, string PeerToken);

/// <summary>
/// The cluster-wide secrets (the three CAs, admin token, peer token) live in the control-plane
/// database, so every edge sharing it shares them: the first edge creates them, the others
/// read them. Each edge writes into its data directory `edge-ca.pem` (what clients and
/// connectors trust), `admin-token`, its own TLS certificate, `cert.pem` (an origin
/// certificate for the dev zone) and `service-token.json` (a dev service token).
/// </summary>
public static class EdgeBootstrap
{
    public const string CaFile = "edge-ca.pem";
    public const string CaKeyFile = "edge-ca.key.pem";
    public const string TlsFile = "edge-tls.pem";
    public const string OriginCertFile = "cert.pem";
    public const string ServiceTokenFile = "service-token.json";
    public const string DatabaseFile = "edge.db";
    public const string AdminTokenFile = "admin-token";

    /// <summary>Every file of the data directory except the public CA holds a secret (the database holds all of them).</summary>
    public static readonly string[] SecretFiles =
        [CaKeyFile, TlsFile, OriginCertFile, ServiceTokenFile, AdminTokenFile, DatabaseFile, DatabaseFile + "-wal", DatabaseFile + "-shm", DatabaseFile + "-journal"];

    public static EdgeIdentity Initialize(EdgeOptions options, ILogger logger)
    {
        SecretDirectory.RestrictNewFiles();
        if (SecretDirectory.Ensure(options.DataDirectory) is { } was)
            logger.LogWarning("Data directory {Path} was open to other users ({Exposure}); closed it: it holds the edge's keys", options.DataDirectory, was);
        foreach (var file in SecretFiles) SecretDirectory.CheckPrivate(options.DataPath(file));
        var database = Database.Open(options.Database ?? options.DataPath(DatabaseFile));
        logger.LogInformation("Control-plane state in {Database}", database.Description);
        var store = new EdgeStore(database);
        var originCertificates = new OriginCertificateStore(database);
        var serviceTokens = new ServiceTokenStore(database);
        var authority = LoadAuthority(options, store, logger);
        var originAuthority = SharedAuthority(store, "origin-ca", "TunnelActors origin CA");
        var clusterAuthority = SharedAuthority(store, "cluster-ca", "TunnelActors cluster CA");
        var tls = LoadOrCreateTls(options, authority, logger);
        // Each start mints a fresh remoting certificate: it never touches the disk.
        var cluster = clusterAuthority.IssueClusterCertificate($"{options.ClusterHost}:{options.ClusterPort}", TimeSpan.FromDays(365));

        if (!IsCurrentOriginCertificate(options.DataPath(OriginCertFile), originAuthority))
        {
            using var origin = originAuthority.IssueOriginCertificate(options.DevZone, options.OriginCertificateLifetime);
            originCertificates.Record(origin, options.DevZone, "the edge's first start (dev zone)");
            SecretFile.Write(options.DataPath(OriginCertFile), Pem.WithPrivateKey(origin));
            logger.LogInformation("Wrote origin certificate for zone {Zone} to {Path}", options.DevZone, options.DataPath(OriginCertFile));
        }

        if (!File.Exists(options.DataPath(ServiceTokenFile)))
        {
            var token = ServiceToken.Generate();
            serviceTokens.Add(token, "dev service token", DateTimeOffset.UtcNow);
            SecretFile.Write(options.DataPath(ServiceTokenFile), JsonSerializer.Serialize(token, new JsonSerializerOptions { WriteIndented = true }));
            logger.LogInformation("Wrote dev service token {ClientId} to {Path}", token.ClientId, options.DataPath(ServiceTokenFile));
        }

        var adminTokenPath = options.DataPath(AdminTokenFile);
        var adminToken = store.SharedSecret("admin-token", () => File.Exists(adminTokenPath) ? File.ReadAllText(adminTokenPath).Trim() : NewToken());
        WriteIfChanged(adminTokenPath, adminToken, secret: true, logger, "the admin API token");
        var peerToken = store.SharedSecret("peer-token", NewToken);
        return new EdgeIdentity(authority, originAuthority, clusterAuthority, tls, cluster, store, new NamedTunnelStore(database), originCertificates,
            serviceTokens, adminToken, peerToken);
    }

    private static EdgeCertificateAuthority SharedAuthority(EdgeStore store, string name, string subject) =>
        new(Pem.ParseWithPrivateKey(store.SharedSecret(name, () => Pem.WithPrivateKey(EdgeCertificateAuthority.Create(subject).Certificate)), $"the stored {name}"));

    // The dev certificate is replaced when it is from before the CA split or expires within a week.
    private static bool IsCurrentOriginCertificate(string path, EdgeCertificateAuthority originAuthority)
    {
        if (!File.Exists(path)) return false;
        using var existing = Pem.LoadWithPrivateKey(path);
        return existing.NotAfter > DateTime.UtcNow.AddDays(7) && Transport.Tls.EdgeTrust.IssuedBy(originAuthority.Certificate, existing);
    }

    private static string NewToken() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    // An existing data directory's CA seeds a new database, so upgrading a single edge keeps its trust.
    private static EdgeCertificateAuthority LoadAuthority(EdgeOptions options, EdgeStore store, ILogger logger)
    {
        var keyPath = options.DataPath(CaKeyFile);
        var pem = store.SharedSecret("edge-ca", () => File.Exists(keyPath)
            ? File.ReadAllText(keyPath)
            : Pem.WithPrivateKey(EdgeCertificateAuthority.Create("TunnelActors edge CA").Certificate));
        var authority = new EdgeCertificateAuthority(Pem.ParseWithPrivateKey(pem, "the stored edge CA"));
        WriteIfChanged(keyPath, pem, secret: true, logger, "the edge CA key");
        WriteIfChanged(options.DataPath(CaFile), Pem.CertificateOnly(authority.Certificate), secret: false, logger,
            "the edge CA, which clients and connectors trust");
        return authority;
    }

    private static void WriteIfChanged(string path, string content, bool secret, ILogger logger, string what)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() == content.Trim()) return;
        if (secret) SecretFile.Write(path, content);
        else File.WriteAllText(path, content);
        logger.LogInformation("Wrote {What} to {Path}", what, path);
    }

    private static X509Certificate2 LoadOrCreateTls(EdgeOptions options, EdgeCertificateAuthority authority, ILogger logger)
    {
        var path = options.DataPath(TlsFile);
        if (File.Exists(path))
        {
            var existing = Pem.LoadWithPrivateKey(path);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(7) && Transport.Tls.EdgeTrust.IssuedBy(authority.Certificate, existing)) return existing;
            logger.LogInformation("Edge TLS certificate expires {NotAfter} or is not from the current CA; renewing", existing.NotAfter);
        }
        string[] names = ["localhost", "127.0.0.1", "::1", options.Listen.Host, options.ClusterHost, options.DevZone, "*." + options.DevZone];
        using var issued = authority.IssueServerCertificate(names.Distinct(StringComparer.OrdinalIgnoreCase), TimeSpan.FromDays(365));
        SecretFile.Write(path, Pem.WithPrivateKey(issued));
        return Pem.LoadWithPrivateKey(path);
    }
}
