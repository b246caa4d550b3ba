namespace TunnelActors.Transport.Channels;

/// <summary>
/// A stream ended on purpose (an operator closed it, its access was revoked): carriers that can
/// tell the peer why do — a WebSocket with a Close frame naming the reason, a mux stream with an
/// RST carrying it — instead of a bare reset.
/// </summary>
public sealed class StreamEndedException(string reason) : IOException(reason);
