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
    private readonly AppTokens _tokens;
    private readonly AccessPolicySource _policies = new(null, NullLogger.Instance);
    private readonly EdgeMetrics _metrics = new();

    public ClientAuthenticatorTests()
    {
        var store = new EdgeStore(new SqliteDatabase(Path.Combine(_dir, "edge.db")));
        store.AddServiceToken(_token.ClientId, ServiceToken.HashSecret(_token.ClientSecret), "test");
        _audit = new DatabaseAuditLog(store.Database);
        _tokens = new AppTokens(new SigningKeyRing(store, TimeProvider.System), "https://edge.test", TimeProvider.System);
        _authenticator = new ClientAuthenticator(store, _policies, _tokens, _audit, TimeProvider.System, _metrics);
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
        Assert.Contains("tunnelactors_edge_access_decisions_total{decision=\"allow\"} 1", _metrics.Render());
    }

    [Fact]
    public void Authenticate_ValidUserToken_AllowedByPolicyAndAudited()
    {
        var app = _policies.Find("smb.site.test")!;
        var token = _tokens.Issue(app, "alice@example.com", ["eng"], "otp");

        var result = Authenticate(null, null, token: token);

        Assert.True(result.Allowed);
        Assert.Equal("alice@example.com", result.Identity);
        Assert.Equal("anyone who signs in", _audit.Query(new AuditQuery(Identity: "alice@example.com")).Single().Policy);
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

    public void Dispose()
    {
        _policies.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
