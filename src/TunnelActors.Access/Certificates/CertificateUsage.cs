using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TunnelActors.Access.Certificates;

/// <summary>Extended key usage checks: a certificate is only good for what it was made for.</summary>
public static class CertificateUsage
{
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>True only when the certificate states <paramref name="usageOid"/> explicitly (no EKU means no).</summary>
    public static bool Allows(X509Certificate2 certificate, string usageOid) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } eku
        && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usageOid);
}
