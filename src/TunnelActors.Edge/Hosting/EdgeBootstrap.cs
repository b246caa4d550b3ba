using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TunnelActors.Access;
using TunnelActors.Access.Certificates;
using TunnelActors.Access.ServiceTokens;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Hosting;

/// <summary>What an edge node loads at start: its CA, TLS certificate and store.</summary>
public sealed record EdgeIdentity(EdgeCertificateAuthority Authority, X509Certificate2 TlsCertificate, EdgeStore Store, string AdminToken);

/// <summary>
/// First start writes into the data directory: `edge-ca.pem` (what clients and connectors
/// trust) with its key, the edge TLS certificate, `cert.pem` (an origin certificate for the
/// dev zone) and `service-token.json` (a dev service token). Later starts load them.
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

    public static EdgeIdentity Initialize(EdgeOptions options, ILogger logger)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var store = new EdgeStore(options.DataPath(DatabaseFile));
        var authority = LoadOrCreateAuthority(options, logger);
        var tls = LoadOrCreateTls(options, authority, logger);

        if (!File.Exists(options.DataPath(OriginCertFile)))
        {
            using var origin = authority.IssueOriginCertificate(options.DevZone, TimeSpan.FromDays(3650));
            SecretFile.Write(options.DataPath(OriginCertFile), Pem.WithPrivateKey(origin));
            logger.LogInformation("Wrote origin certificate for zone {Zone} to {Path}", options.DevZone, options.DataPath(OriginCertFile));
        }

        if (!File.Exists(options.DataPath(ServiceTokenFile)))
        {
            var token = ServiceToken.Generate();
            store.AddServiceToken(token.ClientId, ServiceToken.HashSecret(token.ClientSecret), "dev service token");
            SecretFile.Write(options.DataPath(ServiceTokenFile), JsonSerializer.Serialize(token, new JsonSerializerOptions { WriteIndented = true }));
            logger.LogInformation("Wrote dev service token {ClientId} to {Path}", token.ClientId, options.DataPath(ServiceTokenFile));
        }
        var adminTokenPath = options.DataPath(AdminTokenFile);
        if (!File.Exists(adminTokenPath))
        {
            SecretFile.Write(adminTokenPath, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToLowerInvariant());
            logger.LogInformation("Wrote the admin API token to {Path}", adminTokenPath);
        }
        return new EdgeIdentity(authority, tls, store, File.ReadAllText(adminTokenPath).Trim());
    }

    private static EdgeCertificateAuthority LoadOrCreateAuthority(EdgeOptions options, ILogger logger)
    {
        var keyPath = options.DataPath(CaKeyFile);
        if (File.Exists(keyPath)) return new EdgeCertificateAuthority(Pem.LoadWithPrivateKey(keyPath));

        var authority = EdgeCertificateAuthority.Create("TunnelActors edge CA");
        SecretFile.Write(keyPath, Pem.WithPrivateKey(authority.Certificate));
        File.WriteAllText(options.DataPath(CaFile), Pem.CertificateOnly(authority.Certificate));
        logger.LogInformation("Created edge CA; clients and connectors trust {Path}", options.DataPath(CaFile));
        return authority;
    }

    private static X509Certificate2 LoadOrCreateTls(EdgeOptions options, EdgeCertificateAuthority authority, ILogger logger)
    {
        var path = options.DataPath(TlsFile);
        if (File.Exists(path))
        {
            var existing = Pem.LoadWithPrivateKey(path);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(7)) return existing;
            logger.LogInformation("Edge TLS certificate expires {NotAfter}; renewing", existing.NotAfter);
        }
        string[] names = ["localhost", "127.0.0.1", "::1", options.Listen.Host, options.DevZone, "*." + options.DevZone];
        using var issued = authority.IssueServerCertificate(names.Distinct(StringComparer.OrdinalIgnoreCase), TimeSpan.FromDays(365));
        SecretFile.Write(path, Pem.WithPrivateKey(issued));
        return Pem.LoadWithPrivateKey(path);
    }
}
