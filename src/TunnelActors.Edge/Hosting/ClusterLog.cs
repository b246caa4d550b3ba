using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Hosting;

/// <summary>This edge's standing in the cluster: stable event ids 9101–9199.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Taking new streams: an Up member on the majority side ({Members} members known)")]
    public static partial void QuorumServing(ILogger log, int members);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Refusing new client streams and connector registrations: {Reason}")]
    public static partial void QuorumRefusing(ILogger log, string reason);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning,
        Message = "Not founding a cluster although this edge is the first seed node: {Others} served lately (a partition may hide them); joining through the other seeds, or exiting after {Seconds:0} s to decide again")]
    public static partial void FoundingWithheld(ILogger log, string others, double seconds);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Warning, Message = "Could not note this edge as serving in the database: {Reason}")]
    public static partial void BeaconFailed(ILogger log, string reason);

    [LoggerMessage(EventId = 9105, Level = LogLevel.Critical, Message = "Edge {Peer} has removed this node from the cluster (quarantined it): stopping now to be restarted and rejoin")]
    public static partial void Quarantined(ILogger log, string peer);
}
