using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using TunnelActors.Access.Audit;
using TunnelActors.Access.ServiceTokens;
using TunnelActors.Access.Tokens;
using TunnelActors.Edge.Access;
using TunnelActors.Edge.Clients;
using TunnelActors.Edge.Ops;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Tests;

public sealed class ClientAuthenticatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-auth-").FullName;
    private readonly ServiceToken _token = ServiceToken.Generate();
    private readonly ClientAuthenticator _authenticator;
    private readonly DatabaseAuditLog _audit;
    private readonly Sessions _tokens;
    private readonly AppTokens _unboundTokens;
    private readonly ServiceTokenStore _serviceTokens;
    private readonly AccessPolicySource _policies = new(null, NullLogger.Instance);
    private readonly EdgeMetrics _metrics = new();

    public ClientAuthenticatorTests()
    {
        var store = new EdgeStore(new SqliteDatabase(Path.Combine(_dir, "edge.db")));
        _serviceTokens = new ServiceTokenStore(store.Database);
        _serviceTokens.Add(_token, "test", DateTimeOffset.UtcNow);
        _audit = new DatabaseAuditLog(store.Database);
        _unboundTokens = new AppTokens(new SigningKeyRing(store, TimeProvider.System), "https://edge.test", TimeProvider.System);
        _tokens = new Sessions(_unboundTokens, new SessionStore(store.Database), TimeProvider.System);
        _authenticator = new ClientAuthenticator(_serviceTokens, _policies, _tokens, _audit, TimeProvider.System, _metrics);
    }

    private ClientAuthentication Authenticate(string? id, string? secret, string hostname = "smb.site.test", string? token = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.10");
        if (id is not null) context.Request.Headers[ClientAuthenticator.ClientIdHeader] = id;
        if (secret is not null) context.Request.Headers[ClientAuthenticator.ClientSecretHeader] = secret;
        if (token is not null) context.Request.Headers[ClientAuthenticator.TokenHeader] = token;
        return _authenticator.AuthenticateAsync(context.Request, hostname).GetAwaiter().GetResult();
    }

    [Fact]
    public void Authenticate_ValidServiceToken_AllowsWithIdentity()
    {
        var result = Authenticate(_token.ClientId, _token.ClientSecret);

        Assert.True(result.Allowed);
        Assert.Equal($"service-token:{_token.ClientId}", result.Identity);
        var decision = Assert.Single(_audit.Query(new AuditQuery(Kind: AuditKinds.Decision)));
        Assert.Equal((true, "dev service tokens", "192.0.2.10"), (decision.Allowed!.Value, decision.Policy!, decision.SourceIp!));
        Assert.Equal(1, MeterReading.Read(_metrics.Meter, "tunnelactors_edge_access_decisions_total")["decision=allow"]);
    }

    [Fact]
    public void Authenticate_ValidUserToken_AllowedByPolicyAndAudited()
    {
        var app = _policies.Find("smb.site.test")!;
        var (token, session) = _tokens.Issue(app, "alice@example.com", ["eng"], "otp", IPAddress.Loopback);

        var result = Authenticate(null, null, token: token);

        Assert.True(result.Allowed);
        Assert.Equal(("alice@example.com", session.Id), (result.Identity, result.Request!.SessionId));
        var decision = _audit.Query(new AuditQuery(Identity: "alice@example.com")).Single();
        Assert.Equal("anyone who signs in", decision.Policy);
        Assert.Contains(session.Id, decision.Detail);
        Assert.NotNull(_tokens.Store.Find(session.Id)!.LastUsedAt);
    }

    [Fact]
    public void Authenticate_TokenOfARevokedSession_Denied401NamingTheRevocation()
    {
        var (token, session) = _tokens.Issue(_policies.Find("smb.site.test")!, "alice@example.com", [], "otp", IPAddress.Loopback);
        _tokens.Store.Revoke(session.Id, "laptop stolen", DateTimeOffset.UtcNow);

        var result = Authenticate(null, null, token: token);

        Assert.Equal(401, result.Status);
        Assert.Contains($"session {session.Id} was revoked (laptop stolen)", result.Reason);
    }

    [Fact]
    public void Authenticate_ValidlySignedTokenWithoutASession_Denied401()
    {
        var token = _unboundTokens.Issue(_policies.Find("smb.site.test")!, "alice@example.com", [], "otp");

        var result = Authenticate(null, null, token: token);

        Assert.Equal(401, result.Status);
        Assert.Contains("no sign-in session", result.Reason);
    }

    [Fact]
    public void ServiceToken_RotatedWithoutOverlap_OldSecretRefusedNewOneAccepted()
    {
        var (created, _) = _serviceTokens.Create("backup", TimeSpan.FromDays(365), DateTimeOffset.UtcNow);
        var rotated = _serviceTokens.Rotate(created.ClientId, TimeSpan.Zero, DateTimeOffset.UtcNow)!;

        Assert.Equal(403, Authenticate(created.ClientId, created.ClientSecret).Status);
        Assert.True(Authenticate(created.ClientId, rotated.ClientSecret).Allowed);
        Assert.Contains("service token 'backup'", _audit.Query(new AuditQuery(Kind: AuditKinds.Decision, Limit: 1)).Single().Detail);
    }

    [Fact]
    public void ServiceToken_RotatedWithOverlap_BothSecretsAcceptedMeanwhile()
    {
        var (created, _) = _serviceTokens.Create("backup", null, DateTimeOffset.UtcNow);
        var rotated = _serviceTokens.Rotate(created.ClientId, TimeSpan.FromHours(1), DateTimeOffset.UtcNow)!;

        Assert.True(Authenticate(created.ClientId, created.ClientSecret).Allowed);
        Assert.True(Authenticate(created.ClientId, rotated.ClientSecret).Allowed);
    }

    [Fact]
    public void ServiceToken_ExpiredOrRevoked_RefusedWithTheReason()
    {
        var (expired, _) = _serviceTokens.Create("old job", TimeSpan.FromHours(1), DateTimeOffset.UtcNow.AddHours(-2));
        var (revoked, _) = _serviceTokens.Create("leaked", null, DateTimeOffset.UtcNow);
        _serviceTokens.Revoke(revoked.ClientId, "found in a public repo", DateTimeOffset.UtcNow);

        Assert.Contains("'old job' expired", Authenticate(expired.ClientId, expired.ClientSecret).Reason);
        Assert.Contains("'leaked' was revoked (found in a public repo)", Authenticate(revoked.ClientId, revoked.ClientSecret).Reason);
        Assert.Equal(ServiceTokenStore.Rejected, Authenticate(revoked.ClientId, "wrong").Reason); // no hint without the secret
    }

    [Fact]
    public void Authenticate_ForgedToken_Denied401AndAudited()
    {
        var result = Authenticate(null, null, token: "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6Im1AeC5jb20ifQ.");

        Assert.Equal(401, result.Status);
        Assert.Contains("Access token rejected", result.Reason);
        var decision = Assert.Single(_audit.Query(new AuditQuery(Kind: AuditKinds.Decision)));
        Assert.False(decision.Allowed);
    }

    [Fact]
    public void Authenticate_HostnameWithoutApplication_Denied403()
    {
        var result = Authenticate(_token.ClientId, _token.ClientSecret, hostname: "db.other.test");

        Assert.Equal(403, result.Status);
        Assert.Contains("no Access application covers db.other.test", result.Reason);
    }

    [Fact]
    public void Authenticate_NoHeaders_Denies401()
    {
        var result = Authenticate(null, null);

        Assert.False(result.Allowed);
        Assert.Equal(401, result.Status);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Authenticate_HalfAToken_Denies401(bool withId, bool withSecret)
    {
        var result = Authenticate(withId ? _token.ClientId : null, withSecret ? _token.ClientSecret : null);

        Assert.Equal(401, result.Status);
        Assert.Contains("incomplete", result.Reason);
    }

    [Fact]
    public void Authenticate_WrongSecret_Denies403()
    {
        var result = Authenticate(_token.ClientId, _token.ClientSecret + "x");

        Assert.Equal(403, result.Status);
    }

    [Fact]
    public void Authenticate_UnknownClientId_Denies403WithSameReasonAsWrongSecret()
    {
        var unknown = Authenticate("nobody.access", _token.ClientSecret);
        var wrong = Authenticate(_token.ClientId, "nope");

        Assert.Equal(403, unknown.Status);
        Assert.Equal(wrong.Reason, unknown.Reason); // no hint which ids exist
    }

    [Theory]
    [InlineData("192.0.2.10", true)]
    [InlineData("198.51.100.7", false)]
    public async Task Authenticate_NoCredential_OnlyABypassPolicyForTheSourceAdmits(string source, bool admitted)
    {
        var config = Path.Combine(_dir, "edge.yaml");
        File.WriteAllText(config, """
            applications:
              - name: office share
                domain: smb.site.test
                policies:
                  - name: office network
                    decision: bypass
                    include:
                      - ip: 192.0.2.0/24
                  - name: staff
                    decision: allow
                    include:
                      - email_domain: example.com
            """);
        using var policies = new AccessPolicySource(config, NullLogger.Instance);
        var authenticator = new ClientAuthenticator(_serviceTokens, policies, _tokens, _audit, TimeProvider.System, _metrics);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(source);

        var result = await authenticator.AuthenticateAsync(context.Request, "smb.site.test");

        Assert.Equal(admitted, result.Allowed);
        if (admitted) Assert.Equal(("anonymous", "office network"), (result.Identity, _audit.Query(new AuditQuery(Kind: AuditKinds.Decision)).Single().Policy!));
        else Assert.Equal((401, true), (result.Status, result.Reason.Contains("access login")));
    }

    public void Dispose()
    {
        _policies.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
