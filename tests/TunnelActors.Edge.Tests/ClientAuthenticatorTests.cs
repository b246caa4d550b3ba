using Microsoft.AspNetCore.Http;
using TunnelActors.Access.ServiceTokens;
using TunnelActors.Edge.Clients;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Tests;

public sealed class ClientAuthenticatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-auth-").FullName;
    private readonly ServiceToken _token = ServiceToken.Generate();
    private readonly ClientAuthenticator _authenticator;

    public ClientAuthenticatorTests()
    {
        var store = new EdgeStore(Path.Combine(_dir, "edge.db"));
        store.AddServiceToken(_token.ClientId, ServiceToken.HashSecret(_token.ClientSecret), "test");
        _authenticator = new ClientAuthenticator(store);
    }

    private ClientAuthentication Authenticate(string? id, string? secret)
    {
        var context = new DefaultHttpContext();
        if (id is not null) context.Request.Headers[ClientAuthenticator.ClientIdHeader] = id;
        if (secret is not null) context.Request.Headers[ClientAuthenticator.ClientSecretHeader] = secret;
        return _authenticator.Authenticate(context.Request);
    }

    [Fact]
    public void Authenticate_ValidServiceToken_AllowsWithIdentity()
    {
        var result = Authenticate(_token.ClientId, _token.ClientSecret);

        Assert.True(result.Allowed);
        Assert.Equal($"service-token:{_token.ClientId}", result.Identity);
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
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
