using System.Text;

namespace TunnelActors.Protocol.Tests;

public sealed class PayloadTests
{
    public static TheoryData<string, Func<byte[]>, Action<byte[]>> ValidPayloads => new()
    {
        { "OPEN", () => new OpenPayload("smb.site.test", "service-token:abc", 1 << 20).ToFrame(1).Payload.ToArray(), b => OpenPayload.Parse(b) },
        { "REGISTER", () => new RegisterPayload("smb.site.test", "conn", "r1", [1, 2, 3], [4, 5]).ToFrame().Payload.ToArray(), b => RegisterPayload.Parse(b) },
        { "REGISTERED", () => new RegisteredPayload("c-1", "akka.tcp://edge@h:1").ToFrame().Payload.ToArray(), b => RegisteredPayload.Parse(b) },
        { "RST", () => new ReasonPayload(ProtocolError.Refused, "origin down").ToFrame(FrameType.Rst, 1).Payload.ToArray(), b => ReasonPayload.Parse(b, FrameType.Rst) },
    };

    [Fact]
    public void Open_RoundTrips()
    {
        var open = new OpenPayload("smb.site.test", "alice@example.com", 123456);

        Assert.Equal(open, OpenPayload.Parse(open.ToFrame(5).Payload.Span));
    }

    [Fact]
    public void Register_RoundTrips()
    {
        var register = new RegisterPayload("smb.site.test", "connector", "replica", [9, 8, 7], [6, 5]);

        var parsed = RegisterPayload.Parse(register.ToFrame().Payload.Span);

        Assert.Equal((register.Hostname, register.ConnectorId, register.ReplicaId), (parsed.Hostname, parsed.ConnectorId, parsed.ReplicaId));
        Assert.Equal(register.Certificate, parsed.Certificate);
        Assert.Equal(register.Signature, parsed.Signature);
    }

    [Fact]
    public void Reason_LongReason_IsCappedNotRejected()
    {
        var frame = new ReasonPayload(ProtocolError.Cancelled, new string('x', 10_000)).ToFrame(FrameType.GoAway, 0);

        var parsed = ReasonPayload.Parse(frame.Payload.Span, FrameType.GoAway);

        Assert.Equal(1024, parsed.Reason.Length);
        Assert.True(frame.Payload.Length <= FrameLimits.Default.MaxControlPayload);
    }

    [Theory]
    [MemberData(nameof(ValidPayloads))]
    public void Parse_EveryProperPrefix_FailsAsMalformed(string kind, Func<byte[]> payload, Action<byte[]> parse)
    {
        var bytes = payload();
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            var error = Assert.Throws<ProtocolException>(() => parse(prefix));
            Assert.True(error.Error == ProtocolError.MalformedPayload, $"{kind} prefix of {length} bytes: {error.Error}");
        }
    }

    [Theory]
    [MemberData(nameof(ValidPayloads))]
    public void Parse_TrailingBytes_FailsAsMalformed(string kind, Func<byte[]> payload, Action<byte[]> parse)
    {
        var bytes = payload().Append((byte)0).ToArray();

        var error = Assert.Throws<ProtocolException>(() => parse(bytes));

        Assert.Equal(ProtocolError.MalformedPayload, error.Error);
        Assert.Contains("trailing", error.Message + kind);
    }

    [Fact]
    public void Parse_InvalidUtf8_FailsAsMalformed()
    {
        byte[] payload = [0, 2, 0xC3, 0x28, 0, 0, 0, 0, 0, 1];

        var error = Assert.Throws<ProtocolException>(() => OpenPayload.Parse(payload));

        Assert.Equal(ProtocolError.MalformedPayload, error.Error);
        Assert.Contains("UTF-8", error.Message);
    }

    [Fact]
    public void Frame_WindowUpdateAndPing_CarryTheirValues()
    {
        var update = Frame.WindowUpdate(9, 70_000);
        Assert.Equal(new byte[] { 0, 1, 0x11, 0x70 }, update.Payload.ToArray());
        Assert.Equal(8, Frame.Ping(42).Payload.Length);
        Assert.Equal(Encoding.ASCII.GetBytes("pong"), Frame.Pong(Encoding.ASCII.GetBytes("pong")).Payload.ToArray());
    }
}
