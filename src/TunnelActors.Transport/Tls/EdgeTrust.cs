using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Transport.Tls;

/// <summary>
/// Server-certificate validation for connectors and clients: the system roots by default,
/// or only the edge's own server CA when `--ca-file` names one (self-signed embedded edge).
/// Either way only a certificate made to serve (serverAuth usage) is accepted: an origin
/// certificate — client authentication only, from another CA — can never pose as the edge
/// and collect the service-token or tunnel secrets a client sends.
/// </summary>
public static class EdgeTrust
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public static RemoteCertificateValidationCallback ForCaFile(string? caFile)
    {
        if (string.IsNullOrEmpty(caFile))
            return (_, certificate, _, errors) => errors == SslPolicyErrors.None && certificate is not null && MadeToServe(new X509Certificate2(certificate));
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
        return (_, certificate, _, errors) =>
        {
            if (certificate is null) return false;
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
            var presented = new X509Certificate2(certificate);
            return MadeToServe(presented) && IssuedBy(authority, presented);
        };
    }

    /// <summary>True when the certificate states the serverAuth usage (a certificate without any stated usage is refused too).</summary>
    public static bool MadeToServe(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } eku
        && eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value == ServerAuth);

    /// <summary>An HTTP handler that trusts the edge as <see cref="ForCaFile"/> does.</summary>
    public static System.Net.Http.SocketsHttpHandler HttpHandler(string? caFile)
    {
        var handler = new System.Net.Http.SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = ForCaFile(caFile);
        return handler;
    }

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="authority"/> (and only to it).</summary>
    public static bool IssuedBy(X509Certificate2 authority, X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
