using Akka.Actor;

namespace TunnelActors.Origin.EdgeConnections;

/// <summary>Stop taking new streams; finish open ones, then close. Answered with <see cref="Drained"/>.</summary>
public sealed record Drain;

/// <summary>A connection finished draining; <paramref name="Supervisor"/> is its backoff supervisor.</summary>
public sealed record Drained(IActorRef? Supervisor);

/// <summary>
/// The edge sent GOAWAY (it is shutting down): start a replacement for this slot elsewhere now;
/// this connection keeps carrying its open streams and reports <see cref="Retired"/> when done.
/// </summary>
public sealed record Retiring(IActorRef Supervisor);

/// <summary>A retiring connection carried its last stream and closed.</summary>
public sealed record Retired(IActorRef Supervisor);

/// <summary>A slot's connection registered with an edge (tells the connector a replacement is up).</summary>
public sealed record SlotRegistered(IActorRef Supervisor);

/// <summary>The replacement of a retiring connection is registered: it may close once idle.</summary>
public sealed record ReplacementReady;
