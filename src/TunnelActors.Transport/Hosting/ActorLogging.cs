using Akka.Actor;
using Akka.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TunnelActors.Transport.Hosting;

/// <summary>
/// An <see cref="ILogger"/> for an actor, from the host's logging (Akka.Hosting's service
/// provider): actors log through source-generated [LoggerMessage] methods with named fields
/// (ConnectionId, StreamId, TunnelId, Identity, Node…), not Akka's positional templates, so
/// `--log-format json` carries the same field names in every role. Without a host (unit tests
/// on a bare ActorSystem) it logs nothing.
/// </summary>
public static class ActorLogging
{
    public static ILogger Logger<T>(this IActorContext context)
    {
        try { return DependencyResolver.For(context.System).Resolver.GetService<ILoggerFactory>().CreateLogger<T>(); }
        catch (Exception e) when (e is not OutOfMemoryException) { return NullLogger.Instance; }
    }
}
