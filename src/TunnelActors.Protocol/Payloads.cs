namespace TunnelActors.Protocol;

/// <summary>OPEN: which hostname the client asked for, who the client is, and the opener's receive window.</summary>
/// <remarks>
/// <see cref="StreamId"/> is the edge's id for the stream (empty from an older edge): every hop
/// logs it, so one stream can be followed from the client through the edges to the connector.
/// </remarks>
public sealed record OpenPayload(string Hostname, string Identity, uint InitialWindow, string StreamId = "")
{
    /// <summary>The identity as logs may show it: a carrier stream's credential is never printed.</summary>
    public string SafeIdentity => Identity.StartsWith(ClientCarrier.Prefix, StringComparison.Ordinal) ? "(credential)" : Identity;

    public override string ToString() => $"OPEN {Hostname} for {SafeIdentity} (window {InitialWindow}{(StreamId.Length > 0 ? ", stream " + StreamId : "")})";

    public Frame ToFrame(uint streamId) =>
        new(FrameType.Open, streamId, new PayloadWriter().String(Hostname).String(Identity).U32(InitialWindow).String(StreamId).ToArray());

    public static OpenPayload Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Open);
        var result = new OpenPayload(reader.String(), reader.String(), reader.U32(), reader.AtEnd ? "" : reader.String());
        reader.End();
        return result;
    }
}

/// <summary>
/// REGISTER: the connector's first frame. <see cref="Certificate"/> is the DER origin
/// certificate; <see cref="Signature"/> signs the edge's challenge with its key.
/// <see cref="ConnectionWindow"/> (absent from an older connector: 0) offers a connection-level
/// window: the bytes the connector can receive across all streams.
/// </summary>
public sealed record RegisterPayload(string Hostname, string ConnectorId, string ReplicaId, byte[] Certificate, byte[] Signature, uint ConnectionWindow = 0)
{
    public Frame ToFrame()
    {
        var writer = new PayloadWriter().String(Hostname).String(ConnectorId).String(ReplicaId).Bytes(Certificate).Bytes(Signature);
        if (ConnectionWindow > 0) writer.U32(ConnectionWindow);
        return new(FrameType.Register, 0, writer.ToArray());
    }

    public static RegisterPayload Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Register);
        var result = new RegisterPayload(reader.String(), reader.String(), reader.String(),
            reader.Bytes().ToArray(), reader.Bytes().ToArray(), reader.AtEnd ? 0 : reader.U32());
        reader.End();
        return result;
    }
}

/// <summary>
/// REGISTERED: the edge's id for this connection and the edge node that holds it, and — only
/// when the connector offered one — the edge's connection window, which turns the connection
/// window on for both ends (an older connector never sees the field).
/// </summary>
public sealed record RegisteredPayload(string ConnectionId, string EdgeNode, uint ConnectionWindow = 0)
{
    public Frame ToFrame()
    {
        var writer = new PayloadWriter().String(ConnectionId).String(EdgeNode);
        if (ConnectionWindow > 0) writer.U32(ConnectionWindow);
        return new(FrameType.Registered, 0, writer.ToArray());
    }

    public static RegisteredPayload Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, FrameType.Registered);
        var result = new RegisteredPayload(reader.String(), reader.String(), reader.AtEnd ? 0 : reader.U32());
        reader.End();
        return result;
    }
}

/// <summary>RST or GOAWAY: a reason code and a human-readable reason.</summary>
public sealed record ReasonPayload(ProtocolError Code, string Reason)
{
    public Frame ToFrame(FrameType type, uint streamId) =>
        new(type, streamId, new PayloadWriter().U8((byte)Code).String(Truncate(Reason)).ToArray());

    public static ReasonPayload Parse(ReadOnlySpan<byte> payload, FrameType type)
    {
        var reader = new PayloadReader(payload, type);
        var result = new ReasonPayload((ProtocolError)reader.U8(), reader.String());
        reader.End();
        return result;
    }

    private static string Truncate(string reason) => reason.Length <= 1024 ? reason : reason[..1024];
}
