using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Transport.Tls;

/// <summary>
/// Server-certificate validation for connectors and clients: the system roots by default,
/// or only the edge's own CA when `--ca-file` names one (self-signed embedded edge).
/// </summary>
public static class EdgeTrust
{
    public static RemoteCertificateValidationCallback? ForCaFile(string? caFile)
    {
        if (string.IsNullOrEmpty(caFile)) return null;
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
        return (_, certificate, _, errors) =>
        {
            if (certificate is null) return false;
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
            return IssuedBy(authority, new X509Certificate2(certificate));
        };
    }

    /// <summary>An HTTP handler that trusts the edge as <see cref="ForCaFile"/> does.</summary>
    public static System.Net.Http.SocketsHttpHandler HttpHandler(string? caFile)
    {
        var handler = new System.Net.Http.SocketsHttpHandler();
        if (ForCaFile(caFile) is { } validate) handler.SslOptions.RemoteCertificateValidationCallback = validate;
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
