namespace TunnelActors.Protocol;

/// <summary>The kinds of mux frame. The numeric values are the wire contract.</summary>
public enum FrameType : byte
{
    /// <summary>Edge opens a stream: target hostname, client identity, initial window.</summary>
    Open = 1,
    /// <summary>Bytes of one stream, never more than the receiver's window allows.</summary>
    Data = 2,
    /// <summary>Receiver grants the sender more credit on a stream.</summary>
    WindowUpdate = 3,
    /// <summary>Half-close: the sender will send no more DATA on this stream.</summary>
    Fin = 4,
    /// <summary>Abort a stream with a reason code and text.</summary>
    Rst = 5,
    Ping = 6,
    Pong = 7,
    /// <summary>First frame of a connector: hostname, ids and credential proof.</summary>
    Register = 8,
    /// <summary>Edge accepted the registration.</summary>
    Registered = 9,
    /// <summary>The sender is draining: open no new streams on this connection.</summary>
    GoAway = 10,
}
