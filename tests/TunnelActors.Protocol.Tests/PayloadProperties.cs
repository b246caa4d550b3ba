using FsCheck.Xunit;

namespace TunnelActors.Protocol.Tests;

[Properties(Arbitrary = [typeof(ProtocolArbitraries)], MaxTest = 200)]
public sealed class PayloadProperties
{
    [Property]
    public void OpenPayload_AnyValues_RoundTripThroughItsFrame(OpenPayload open, uint streamId)
    {
        var frame = open.ToFrame(streamId);

        Assert.Equal(open, OpenPayload.Parse(frame.Payload.Span));
        // Without its trailing stream id it is an older edge's OPEN, which parses; every other prefix is malformed.
        var olderFormat = frame.Payload.Length - 2 - System.Text.Encoding.UTF8.GetByteCount(open.StreamId);
        AssertEveryProperPrefixIsMalformed(frame.Payload, b => OpenPayload.Parse(b), except: olderFormat);
    }

    [Property]
    public void RegisterPayload_AnyValues_RoundTripThroughItsFrame(RegisterPayload register)
    {
        var frame = register.ToFrame();
        var parsed = RegisterPayload.Parse(frame.Payload.Span);

        Assert.Equal((register.Hostname, register.ConnectorId, register.ReplicaId), (parsed.Hostname, parsed.ConnectorId, parsed.ReplicaId));
        Assert.Equal(register.Certificate, parsed.Certificate);
        Assert.Equal(register.Signature, parsed.Signature);
        Assert.True(frame.Payload.Length <= FrameLimits.Default.MaxControlPayload);
        AssertEveryProperPrefixIsMalformed(frame.Payload, b => RegisterPayload.Parse(b));
    }

    [Property]
    public void RegisteredPayload_AnyValues_RoundTripThroughItsFrame(RegisteredPayload registered)
    {
        var frame = registered.ToFrame();

        Assert.Equal(registered, RegisteredPayload.Parse(frame.Payload.Span));
        AssertEveryProperPrefixIsMalformed(frame.Payload, b => RegisteredPayload.Parse(b));
    }

    [Property]
    public void ReasonPayload_AnyValues_RoundTripThroughRstAndGoAway(ReasonPayload reason, uint streamId)
    {
        foreach (var type in new[] { FrameType.Rst, FrameType.GoAway })
        {
            var frame = reason.ToFrame(type, streamId);

            Assert.Equal(reason, ReasonPayload.Parse(frame.Payload.Span, type));
            AssertEveryProperPrefixIsMalformed(frame.Payload, b => ReasonPayload.Parse(b, type));
        }
    }

    [Property]
    public void OpenPayload_AnyTrailingBytes_FailsAsMalformed(OpenPayload open, byte[] trailing)
    {
        if (trailing.Length == 0) return;
        byte[] payload = [.. open.ToFrame(1).Payload.Span, .. trailing];

        var error = Assert.Throws<ProtocolException>(() => OpenPayload.Parse(payload));

        Assert.Equal(ProtocolError.MalformedPayload, error.Error);
    }

    /// <summary>Whatever the bytes, parsing yields a value or a typed MalformedPayload: nothing else escapes.</summary>
    [Property(MaxTest = 500)]
    public void Parse_AnyBytes_YieldsAValueOrMalformedPayloadOnly(byte[] bytes)
    {
        Action<byte[]>[] parsers =
        [
            b => OpenPayload.Parse(b),
            b => RegisterPayload.Parse(b),
            b => RegisteredPayload.Parse(b),
            b => ReasonPayload.Parse(b, FrameType.Rst),
        ];
        foreach (var parse in parsers)
        {
            try { parse(bytes); }
            catch (ProtocolException e) { Assert.Equal(ProtocolError.MalformedPayload, e.Error); }
        }
    }

    private static void AssertEveryProperPrefixIsMalformed(ReadOnlyMemory<byte> payload, Action<byte[]> parse, int except = -1)
    {
        var bytes = payload.ToArray();
        for (var length = 0; length < bytes.Length; length++)
        {
            if (length == except) continue;
            var prefix = bytes[..length];
            var error = Assert.Throws<ProtocolException>(() => parse(prefix));
            Assert.True(error.Error == ProtocolError.MalformedPayload, $"prefix of {length}/{bytes.Length} bytes: {error.Error}");
        }
    }
}
