using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Mux;

/// <summary>
/// A stream being opened for a requester that may give up first (an ask that timed out, a
/// client that went away, an actor that was stopped). Whichever of delivery and abandonment
/// comes second resets the stream, so no stream is ever left open with nobody relaying it.
/// </summary>
public sealed class StreamHandoff
{
    private readonly object _gate = new();
    private MuxStream? _stream;
    private string? _abandoned;

    /// <summary>True when the requester takes the stream; false (the stream reset) when it gave up or already holds one.</summary>
    public bool Deliver(MuxStream stream)
    {
        string reason;
        lock (_gate)
        {
            if (_abandoned is null && _stream is null)
            {
                _stream = stream;
                return true;
            }
            reason = _abandoned ?? "a second stream for one request";
        }
        stream.Abort(new StreamEndedException(reason));
        return false;
    }

    /// <summary>The requester is done: the stream delivered (now or later) is reset with <paramref name="reason"/>.</summary>
    public void Abandon(string reason)
    {
        MuxStream? stream;
        lock (_gate)
        {
            _abandoned ??= reason;
            stream = _stream;
        }
        stream?.Abort(new StreamEndedException(reason));
    }
}
