using Akka.Actor;
using Akka.Streams;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Mux;

/// <summary>The multiplexed connection an actor owns has ended; <paramref name="Error"/> is null when it closed cleanly.</summary>
public sealed record MuxLinkEnded(Exception? Error)
{
    public string Describe => Error?.GetBaseException().Message ?? "closed";
}

/// <summary>
/// What every actor that owns a multiplexed connection does alike (the edge's connector and
/// peer-link actors, the connector's edge connections): start the connection on its carrier with
/// the actor as its handler, turn its end into <see cref="MuxLinkEnded"/>, ping it on each tick
/// (and shrink idle streams' windows) and cut it once the peer falls silent. The owner aborts it in PostStop.
/// </summary>
public static class MuxLink
{
    /// <summary>Starts the connection; its end arrives as <paramref name="ended"/>'s message (default <see cref="MuxLinkEnded"/>), for an owner of several.</summary>
    public static MuxConnection Start(IActorContext context, string name, MuxOptions options, IByteChannel carrier, Func<Exception?, object>? ended = null)
    {
        var session = new MuxConnection(name, options, new ActorMuxHandler(context.Self));
        session.Start(carrier, context.Materializer());
        ended ??= e => new MuxLinkEnded(e);
        session.Completion.PipeTo(context.Self, success: () => ended(null), failure: e => ended(e));
        return session;
    }

    /// <summary>On a tick: pings the peer, or cuts it when no frame came for <paramref name="idleTimeout"/>; returns why it was cut, or null.</summary>
    public static string? KeepAlive(this MuxConnection session, TimeSpan idleTimeout, string peer)
    {
        var silent = session.SinceLastFrame;
        if (silent <= idleTimeout)
        {
            session.SendOwedConnectionGrant(); // first: credit matters more than a ping
            session.SendPing();
            session.ShrinkIdleWindows();
            return null;
        }
        var why = $"{peer} silent for {silent.TotalSeconds:0.0} s";
        session.Abort(new TimeoutException(why));
        return why;
    }
}
