namespace TunnelActors.Origin.EdgeConnections;

/// <summary>Stop taking new streams; finish open ones, then close. Answered with <see cref="Drained"/>.</summary>
public sealed record Drain;

public sealed record Drained(int ConnectionIndex);
