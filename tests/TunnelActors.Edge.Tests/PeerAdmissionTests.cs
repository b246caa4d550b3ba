using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Access.Audit;
using TunnelActors.Access.Policies;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Peers;
using TunnelActors.Edge.State;
using TunnelActors.Protocol;

namespace TunnelActors.Edge.Tests;

/// <summary>The edge holding a tunnel decides again on every stream another edge relays to it.</summary>
public sealed class PeerAdmissionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("peer-admission-").FullName;
    private readonly string _config;
    private readonly DatabaseAuditLog _audit;
    private readonly PeerAdmission _admission;
    private readonly AccessPolicySource _policies;

    public PeerAdmissionTests()
    {
        _config = Path.Combine(_dir, "edge.yaml");
        File.WriteAllText(_config, """
            applications:
              - name: share
                domain: smb.site.test
                policies:
                  - name: staff
                    decision: allow
                    include: [{ email_domain: example.com }]
            """);
        _audit = new DatabaseAuditLog(new SqliteDatabase(Path.Combine(_dir, "edge.db")));
        _policies = new AccessPolicySource(_config, NullLogger.Instance);
        _admission = new PeerAdmission(_policies, _audit, TimeProvider.System);
    }

    [Fact]
    public void Claim_ThisEdgesPolicyAdmits_GoesOnWithThePlainIdentity()
    {
        var open = PeerClaim.Attach(new OpenPayload("smb.site.test", "alice@example.com", 1024), User("alice@example.com"));

        var (admitted, access) = _admission.Admit(open);

        Assert.Equal(new OpenPayload("smb.site.test", "alice@example.com", 1024), admitted);
        Assert.Equal(("alice@example.com", "alice@example.com"), (access.Identity, access.Request.Email));
    }

    [Fact]
    public void Claim_ThisEdgesPolicyRefuses_IsRefusedAndAudited()
    {
        // Another edge (an older policy, a different file) let mallory in: this one does not.
        var open = PeerClaim.Attach(new OpenPayload("smb.site.test", "mallory@evil.test", 1024), User("mallory@evil.test"));

        var error = Assert.Throws<ProtocolException>(() => _admission.Admit(open));

        Assert.Equal(ProtocolError.Refused, error.Error);
        Assert.Contains("access denied by the edge holding the tunnel", error.Message);
        var refusal = Assert.Single(_audit.Query(new AuditQuery(Kind: AuditKinds.Decision)));
        Assert.Equal((false, "mallory@evil.test"), (refusal.Allowed!.Value, refusal.Identity));
    }

    [Theory]
    [InlineData("alice@example.com")]           // a plain identity, as an edge without claims sends it
    [InlineData("claim:not-base64!")]
    [InlineData("claim:e30=")]                 // {}: no identity, no source
    public void Open_WithoutAValidClaim_IsRefused(string identity)
    {
        var error = Assert.Throws<ProtocolException>(() => _admission.Admit(new OpenPayload("smb.site.test", identity, 1024)));

        Assert.Equal(ProtocolError.Refused, error.Error);
    }

    [Fact]
    public void Claim_ForAHostnameNoApplicationCovers_IsRefused()
    {
        var open = PeerClaim.Attach(new OpenPayload("wiki.site.test", "alice@example.com", 1024), User("alice@example.com"));

        Assert.Contains("default deny", Assert.Throws<ProtocolException>(() => _admission.Admit(open)).Message);
    }

    private static AccessRequest User(string email) => new(IPAddress.Parse("198.51.100.7"), email, new HashSet<string>(), "otp");

    public void Dispose()
    {
        _policies.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class PeerClaimTests
{
    [Fact]
    public void Claim_TooLargeForAnOpen_IsARefusalNotAnException()
    {
        var groups = Enumerable.Range(0, 2000).Select(i => $"group-{i}").ToHashSet();
        var request = new AccessRequest(IPAddress.Loopback, "alice@example.com", groups, "oidc");

        Assert.False(PeerClaim.TryAttach(new OpenPayload("smb.site.test", "alice@example.com", 1024), request, out _, out var refusal));
        Assert.Contains("more than a stream relayed to another edge carries", refusal);
    }
}
