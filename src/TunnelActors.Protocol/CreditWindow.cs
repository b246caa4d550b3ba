namespace TunnelActors.Protocol;

/// <summary>
/// HTTP/2-style flow control for one stream direction pair. The sender may only send as
/// many DATA bytes as the receiver granted; the receiver grants more as its reader
/// consumes, in batches of a quarter window so WINDOW_UPDATEs stay rare.
/// The receive window can be resized (auto-tuning): what the peer may still send, what is
/// buffered and what was consumed but not yet granted always add up to <see cref="ReceiveWindow"/>;
/// growing grants the difference with the next update, shrinking withholds grants until the
/// peer's outstanding credit fits the smaller window.
/// Not thread-safe: its owner serialises access.
/// </summary>
public sealed class CreditWindow(uint sendWindow, uint receiveWindow)
{
    /// <summary>Largest window a peer may accumulate (2^31-1, as in HTTP/2).</summary>
    public const uint MaxWindow = int.MaxValue;

    private long _sendCredit = sendWindow;
    private long _receiveCredit = receiveWindow;
    private long _consumedNotGranted; // negative after a shrink: consumption pays it back before anything is granted

    public long SendCredit => _sendCredit;

    /// <summary>After a shrink, how far what the peer may still send plus what is buffered exceeds <see cref="ReceiveWindow"/> (0 otherwise).</summary>
    public long Deficit => Math.Max(0, -_consumedNotGranted);
    public uint ReceiveWindow { get; private set; } = receiveWindow;

    /// <summary>Takes up to <paramref name="wanted"/> bytes of send credit; returns how many were taken (maybe 0).</summary>
    public int TakeSendCredit(int wanted)
    {
        var granted = (int)Math.Min(wanted, _sendCredit);
        _sendCredit -= granted;
        return granted;
    }

    /// <summary>Gives back send credit that was taken but not used (the connection's window had less).</summary>
    public void ReturnSendCredit(int unused) => _sendCredit += unused;

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

    /// <summary>The local reader consumed bytes; returns the WINDOW_UPDATE increment to send now (once a quarter window is owed), or 0.</summary>
    public uint OnDataConsumed(int length)
    {
        _consumedNotGranted += length;
        return _consumedNotGranted >= ReceiveWindow / 4 ? TakeGrant() : 0;
    }

    /// <summary>Everything owed to the peer now (0 if nothing): what a resize just added, for instance.</summary>
    public uint TakeGrant()
    {
        if (_consumedNotGranted <= 0) return 0;
        var increment = (uint)_consumedNotGranted;
        _receiveCredit += increment;
        _consumedNotGranted = 0;
        return increment;
    }

    /// <summary>Sets the receive window; a larger one is granted with the next update.</summary>
    public void Resize(uint window)
    {
        if (window == 0 || window > MaxWindow) throw new ArgumentOutOfRangeException(nameof(window), window, "1..2^31-1");
        _consumedNotGranted += (long)window - ReceiveWindow;
        ReceiveWindow = window;
    }
}
