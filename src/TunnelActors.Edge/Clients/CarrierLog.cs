using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Clients;

/// <summary>Clients' multiplexed carriers on the edge: stable event ids 8001–8099, field Carrier (its name: client address and number).</summary>
internal static partial class CarrierLog
{
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Client carrier {Carrier} up for {Identity}")]
    public static partial void Up(ILogger log, string carrier, string identity);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Information, Message = "Client carrier {Carrier} closed")]
    public static partial void Closed(ILogger log, string carrier);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Warning, Message = "Client carrier {Carrier} lost: {Reason}")]
    public static partial void Lost(ILogger log, string carrier, string reason);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Client carrier {Carrier}: stream {MuxStreamId} reset: {Reason}")]
    public static partial void StreamReset(ILogger log, string carrier, uint muxStreamId, string reason);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Warning, Message = "Client carrier {Carrier}: {Reason}")]
    public static partial void Silent(ILogger log, string carrier, string reason);
}
