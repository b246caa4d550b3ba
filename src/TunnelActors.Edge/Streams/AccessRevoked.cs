using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;

namespace TunnelActors.Edge.Streams;

/// <summary>What a revocation takes back.</summary>
public enum RevocationScope
{
    /// <summary>One sign-in session (its token): <see cref="AccessRevoked.Subject"/> is the session id.</summary>
    Session,
    /// <summary>A service token: the subject is its client id.</summary>
    ServiceToken,
    /// <summary>Every session of a user: the subject is the email address.</summary>
    Identity,
    /// <summary>Applications or policies changed: every stream is decided again.</summary>
    Policies,
}

/// <summary>
/// Access was taken back: published cluster-wide (distributed pub-sub), so every edge ends the
/// live streams it no longer admits at once — whichever edge the operator asked.
/// </summary>
public sealed record AccessRevoked(RevocationScope Scope, string Subject, string Reason) : IClusterMessage
{
    public const string Topic = "access-revocations";

    /// <summary>Whether this revocation names the stream's credential (a policy change is decided by re-evaluating).</summary>
    public bool Names(StreamAccess access) => Scope switch
    {
        RevocationScope.Session => access.Request.SessionId == Subject,
        RevocationScope.ServiceToken => access.Request.ServiceTokenId == Subject,
        RevocationScope.Identity => string.Equals(access.Request.Email, Subject, StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Tells every edge of the cluster (this one included).</summary>
    public void Publish(ActorSystem system) => DistributedPubSub.Get(system).Mediator.Tell(new Publish(Topic, this));
}
