using System.Net;
using System.Security.Cryptography;
using TunnelActors.Access.Policies;
using TunnelActors.Access.Tokens;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Access;

/// <summary>
/// App tokens bound to sign-in sessions: every token issued records a session, and a token is
/// accepted only while its session is known and not revoked — checked in the shared database at
/// each use, so a revocation on one edge refuses the token on every edge at once.
/// </summary>
public sealed class Sessions(AppTokens tokens, SessionStore store, TimeProvider clock)
{
    public SessionStore Store => store;

    /// <summary>Records a session for a sign-in and issues its token.</summary>
    public (string Token, AccessSession Session) Issue(AccessApplication application, string email, IReadOnlyCollection<string> groups,
        string loginMethod, IPAddress source)
    {
        var now = clock.GetUtcNow();
        var session = new AccessSession("ses_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), email.ToLowerInvariant(),
            application.Name, loginMethod, source.ToString(), now, now + application.SessionDuration, null, null, null);
        store.Record(session);
        return (tokens.Issue(application, email, groups, loginMethod, session.Id), session);
    }

    /// <summary>
    /// A token for another holder of the same sign-in (the terminal a browser sign-in was confirmed
    /// for): the same session, so revoking it ends both; its expiry moves to the new token's.
    /// </summary>
    public string Reissue(AccessApplication application, TokenIdentity signedIn)
    {
        var id = signedIn.SessionId ?? throw new TokenRejectedException("token has no sign-in session: sign in again");
        store.Extend(id, clock.GetUtcNow() + application.SessionDuration);
        return tokens.Issue(application, signedIn.Email, signedIn.Groups, signedIn.LoginMethod, id);
    }

    /// <summary>Verifies the token and its session; throws <see cref="TokenRejectedException"/> naming what is wrong.</summary>
    public async Task<TokenIdentity> VerifyAsync(string token, AccessApplication application)
    {
        var identity = await tokens.VerifyAsync(token, application);
        if (identity.SessionId is not { } id) throw new TokenRejectedException("token has no sign-in session (issued by an older edge): sign in again");
        var session = store.Use(id, clock.GetUtcNow());
        if (session is null) throw new TokenRejectedException($"session {id} is unknown to this edge: sign in again");
        if (session.Revoked) throw new TokenRejectedException($"session {id} was revoked ({session.RevokeReason}): sign in again");
        return identity;
    }
}
