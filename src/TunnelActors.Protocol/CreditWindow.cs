namespace TunnelActors.Protocol;

/// <summary>
/// HTTP/2-style flow control for one stream direction pair. The sender may only send as
/// many DATA bytes as the receiver granted; the receiver grants more as its reader
/// consumes, in batches of a quarter window so WINDOW_UPDATEs stay rare.
/// Not thread-safe: its owner serialises access.
/// </summary>
public sealed class CreditWindow(uint sendWindow, uint receiveWindow)
{
    /// <summary>Largest window a peer may accumulate (2^31-1, as in HTTP/2).</summary>
    public const uint MaxWindow = int.MaxValue;

    private long _sendCredit = sendWindow;
    private long _receiveCredit = receiveWindow;
    private long _consumedNotGranted;

    public long SendCredit => _sendCredit;
    public uint ReceiveWindow { get; } = receiveWindow;

    /// <summary>Takes up to <paramref name="wanted"/> bytes of send credit; returns how many were taken (maybe 0).</summary>
    public int TakeSendCredit(int wanted)
    {
        var granted = (int)Math.Min(wanted, _sendCredit);
        _sendCredit -= granted;
        return granted;
    }

    /// <summary>The peer's WINDOW_UPDATE arrived.</summary>
    public void OnWindowUpdate(uint increment)
    {
        if (increment == 0 || _sendCredit + increment > MaxWindow)
            throw new ProtocolException(ProtocolError.FlowControl,
                $"WINDOW_UPDATE of {increment} would make the send window {_sendCredit + increment} (allowed 1..{MaxWindow})");
        _sendCredit += increment;
    }

    /// <summary>DATA arrived: throws if the peer overran the window it was granted.</summary>
    public void OnDataReceived(int length)
    {
        if (length > _receiveCredit)
            throw new ProtocolException(ProtocolError.FlowControl,
                $"peer sent {length} bytes with only {_receiveCredit} bytes of window left");
        _receiveCredit -= length;
    }

    /// <summary>The local reader consumed bytes; returns the WINDOW_UPDATE increment to send now, or 0.</summary>
    public uint OnDataConsumed(int length)
    {
        _consumedNotGranted += length;
        if (_consumedNotGranted < ReceiveWindow / 4) return 0;
        var increment = (uint)_consumedNotGranted;
        _receiveCredit += increment;
        _consumedNotGranted = 0;
        return increment;
    }
}
