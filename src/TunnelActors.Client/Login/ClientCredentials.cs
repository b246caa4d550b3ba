namespace TunnelActors.Client.Login;

/// <summary>The headers that prove who a client connection is for: a service token, or a cached (or fresh) app token.</summary>
public interface IClientCredentials
{
    Task<IReadOnlyList<KeyValuePair<string, string>>> GetHeadersAsync(CancellationToken cancellationToken);
}

/// <summary>Service tokens: fixed headers, never a browser.</summary>
public sealed class ServiceTokenCredentials(string clientId, string clientSecret) : IClientCredentials
{
    public Task<IReadOnlyList<KeyValuePair<string, string>>> GetHeadersAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<KeyValuePair<string, string>>>(
            [new("Cf-Access-Client-Id", clientId), new("Cf-Access-Client-Secret", clientSecret)]);
}

/// <summary>
/// User tokens: the cached token while valid; otherwise one browser login shared by every
/// connection waiting for it. A token expiring mid-connection does not matter: the edge
/// checks it when a connection starts.
/// </summary>
public sealed class UserTokenCredentials(string hostname, TokenCache cache, AccessLogin login, bool openBrowser) : IClientCredentials
{
    private readonly SemaphoreSlim _loginGate = new(1, 1);

    public async Task<IReadOnlyList<KeyValuePair<string, string>>> GetHeadersAsync(CancellationToken cancellationToken)
    {
        var token = cache.Get(hostname);
        if (token is null)
        {
            await _loginGate.WaitAsync(cancellationToken);
            try { token = cache.Get(hostname) ?? await login.LoginAsync(hostname, openBrowser, cancellationToken); }
            finally { _loginGate.Release(); }
        }
        return [new("Cf-Access-Token", token)];
    }
}
