using Microsoft.Extensions.Logging;

namespace TunnelActors.Edge.Peers;

/// <summary>Edge-to-edge links: stable event ids 2001–2099, field Peer (the other edge's address or URL).</summary>
internal static partial class PeerLinkLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Peer link {Direction} {Peer} up")]
    public static partial void Up(ILogger log, string direction, string peer);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Peer link {Direction} {Peer} closed")]
    public static partial void Closed(ILogger log, string direction, string peer);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Peer link {Direction} {Peer} lost: {Reason}")]
    public static partial void Lost(ILogger log, string direction, string peer, string reason);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Peer link {Direction} {Peer}: stream {MuxStreamId} reset: {Reason}")]
    public static partial void StreamReset(ILogger log, string direction, string peer, uint muxStreamId, string reason);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Peer link {Direction} {Peer}: {FrameType} from the peer")]
    public static partial void ControlFrame(ILogger log, string direction, string peer, Protocol.FrameType frameType);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Peer link to {Peer}: cannot reach it: {Reason}")]
    public static partial void Unreachable(ILogger log, string peer, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Peer link {Direction} {Peer}: {Reason}")]
    public static partial void Silent(ILogger log, string direction, string peer, string reason);

    public const string From = "from";
    public const string To = "to";
}
