using System.Buffers.Binary;
using System.Text;

namespace TunnelActors.Protocol.Tests;

public sealed class PayloadTests
{
    private static readonly Dictionary<string, (Func<byte[]> Payload, Action<byte[]> Parse)> Valid = new()
    {
        ["OPEN"] = (() => new OpenPayload("smb.site.test", "service-token:abc", 1 << 20).ToFrame(1).Payload.ToArray(), b => OpenPayload.Parse(b)),
        ["REGISTER"] = (() => new RegisterPayload("smb.site.test", "conn", "r1", [1, 2, 3], [4, 5], 64 << 20).ToFrame().Payload.ToArray(), b => RegisterPayload.Parse(b)),
        ["REGISTERED"] = (() => new RegisteredPayload("c-1", "akka.tcp://edge@h:1", 64 << 20).ToFrame().Payload.ToArray(), b => RegisteredPayload.Parse(b)),
        ["RST"] = (() => new ReasonPayload(ProtocolError.Refused, "origin down").ToFrame(FrameType.Rst, 1).Payload.ToArray(), b => ReasonPayload.Parse(b, FrameType.Rst)),
        ["GOAWAY"] = (() => new ReasonPayload(ProtocolError.None, "draining ünïcode ✓").ToFrame(FrameType.GoAway, 0).Payload.ToArray(), b => ReasonPayload.Parse(b, FrameType.GoAway)),
    };

    public static TheoryData<string> ValidPayloads => new(Valid.Keys);

    [Fact]
    public void ConnectionWindow_AbsentInAnOlderPeersFrames_ParsesAsZeroAndIsNotWrittenWhenZero()
    {
        var register = new RegisterPayload("smb.site.test", "conn", "r1", [1], [2]);
        var registered = new RegisteredPayload("c-1", "edge");

        Assert.Equal(0u, RegisterPayload.Parse(register.ToFrame().Payload.Span).ConnectionWindow);
        Assert.Equal(0u, RegisteredPayload.Parse(registered.ToFrame().Payload.Span).ConnectionWindow);
        // An edge that got no offer answers in the old form, byte for byte: an older connector parses it.
        Assert.Equal(registered.ToFrame().Payload.Length + 4, (registered with { ConnectionWindow = 1 }).ToFrame().Payload.Length);
        Assert.Equal(64u << 20, RegisterPayload.Parse((register with { ConnectionWindow = 64 << 20 }).ToFrame().Payload.Span).ConnectionWindow);
    }

    [Fact]
    public void OpenPayload_ToFrameThenParse_RoundTrips()
    {
        var open = new OpenPayload("smb.site.test", "alice@example.com", 123456, "s7@10.0.0.1:4053");

        var frame = open.ToFrame(5);

        Assert.Equal((FrameType.Open, 5u), (frame.Type, frame.StreamId));
        Assert.Equal(open, OpenPayload.Parse(frame.Payload.Span));
    }

    [Fact]
    public void OpenPayload_FromAnEdgeWithoutStreamIds_ParsesWithAnEmptyOne()
    {
        var withoutId = new OpenPayload("smb.site.test", "alice@example.com", 123456, "x").ToFrame(5).Payload.ToArray()[..^3]; // drop the last field

        Assert.Equal(new OpenPayload("smb.site.test", "alice@example.com", 123456), OpenPayload.Parse(withoutId));
    }

    [Fact]
    public void RegisterPayload_ToFrameThenParse_RoundTrips()
    {
        var register = new RegisterPayload("smb.site.test", "connector", "replica", [9, 8, 7], [6, 5]);

        var frame = register.ToFrame();
        var parsed = RegisterPayload.Parse(frame.Payload.Span);

        Assert.Equal((FrameType.Register, 0u), (frame.Type, frame.StreamId));
        Assert.Equal((register.Hostname, register.ConnectorId, register.ReplicaId), (parsed.Hostname, parsed.ConnectorId, parsed.ReplicaId));
        Assert.Equal(register.Certificate, parsed.Certificate);
        Assert.Equal(register.Signature, parsed.Signature);
    }

    [Fact]
    public void RegisteredPayload_ToFrameThenParse_RoundTrips()
    {
        var registered = new RegisteredPayload("c-42", "akka.tcp://edge@10.0.0.1:4053");

        var frame = registered.ToFrame();

        Assert.Equal((FrameType.Registered, 0u), (frame.Type, frame.StreamId));
        Assert.Equal(registered, RegisteredPayload.Parse(frame.Payload.Span));
    }

    [Theory]
    [InlineData(FrameType.Rst, 7u, ProtocolError.Refused)]
    [InlineData(FrameType.GoAway, 0u, ProtocolError.None)]
    [InlineData(FrameType.GoAway, 0u, ProtocolError.FrameTooLarge)]
    public void ReasonPayload_ToFrameThenParse_RoundTrips(FrameType type, uint streamId, ProtocolError code)
    {
        var reason = new ReasonPayload(code, "origin 10.0.0.5:445 refused — ünïcode");

        var frame = reason.ToFrame(type, streamId);

        Assert.Equal((type, streamId), (frame.Type, frame.StreamId));
        Assert.Equal(reason, ReasonPayload.Parse(frame.Payload.Span, type));
    }

    [Fact]
    public void ReasonPayload_LongReason_IsCappedNotRejected()
    {
        var frame = new ReasonPayload(ProtocolError.Cancelled, new string('x', 10_000)).ToFrame(FrameType.GoAway, 0);

        var parsed = ReasonPayload.Parse(frame.Payload.Span, FrameType.GoAway);

        Assert.Equal(1024, parsed.Reason.Length);
        Assert.True(frame.Payload.Length <= FrameLimits.Default.MaxControlPayload);
    }

    [Fact]
    public void ReasonPayload_LongReasonOfFourByteCharacters_StaysWithinTheControlLimitAndParses()
    {
        var frame = new ReasonPayload(ProtocolError.Cancelled, string.Concat(Enumerable.Repeat("😀", 3000))).ToFrame(FrameType.Rst, 1);

        var parsed = ReasonPayload.Parse(frame.Payload.Span, FrameType.Rst);

        Assert.True(frame.Payload.Length <= FrameLimits.Default.MaxControlPayload);
        Assert.True(parsed.Reason.Length <= 1024);
        Assert.StartsWith("😀😀", parsed.Reason);
    }

    [Fact]
    public void OpenPayload_FieldLongerThan65535Bytes_IsRejectedBySender()
    {
        var open = new OpenPayload(new string('h', 70_000), "x", 1);

        Assert.Throws<ArgumentException>(() => open.ToFrame(1));
    }

    [Theory]
    [MemberData(nameof(ValidPayloads))]
    public void Parse_EveryProperPrefix_FailsAsMalformed(string kind)
    {
        var (payload, parse) = Valid[kind];
        var bytes = payload();
        parse(bytes); // the whole payload is valid
        for (var length = 0; length < bytes.Length; length++)
        {
            if (kind == "OPEN" && length == bytes.Length - 2) continue; // an older edge's OPEN: no trailing stream id (see OpenPayload_FromAnEdgeWithoutStreamIds)
            if (kind.StartsWith("REGISTER") && length == bytes.Length - 4) continue; // an older peer's: no connection window (see ConnectionWindow_AbsentInAnOlderPeersFrames…)
            var prefix = bytes[..length];
            var error = Assert.Throws<ProtocolException>(() => parse(prefix));
            Assert.True(error.Error == ProtocolError.MalformedPayload, $"{kind} prefix of {length} bytes: {error.Error}");
        }
    }

    [Theory]
    [MemberData(nameof(ValidPayloads))]
    public void Parse_TrailingBytes_FailsAsMalformed(string kind)
    {
        var (payload, parse) = Valid[kind];
        foreach (var extra in new byte[][] { [0], [0xff, 0xff, 0xff], new byte[100] })
        {
            var bytes = payload().Concat(extra).ToArray();

            var error = Assert.Throws<ProtocolException>(() => parse(bytes));

            Assert.Equal(ProtocolError.MalformedPayload, error.Error);
            Assert.Contains($"{extra.Length} unexpected trailing bytes", error.Message + kind);
        }
    }

    private static readonly Dictionary<string, Action<byte[]>> Parsers = new()
    {
        ["OPEN"] = b => OpenPayload.Parse(b),
        ["REGISTER"] = b => RegisterPayload.Parse(b),
        ["REGISTERED"] = b => RegisteredPayload.Parse(b),
        ["RST"] = b => ReasonPayload.Parse(b, FrameType.Rst),
        ["GOAWAY"] = b => ReasonPayload.Parse(b, FrameType.GoAway),
    };

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xc3, 0x28],        // a lead byte without its continuation
        [0xc0, 0x80],        // overlong NUL
        [0xed, 0xa0, 0x80],  // a UTF-16 surrogate encoded as UTF-8
        [0xff],              // never valid
        [0x61, 0xe2, 0x82],  // cut in the middle of a 3-byte sequence
    ];

    /// <summary>(payload kind, which string field is invalid, which invalid sequence): every string field of every payload.</summary>
    public static TheoryData<string, int, int> InvalidUtf8Fields()
    {
        var data = new TheoryData<string, int, int>();
        var stringFields = new Dictionary<string, int> { ["OPEN"] = 2, ["REGISTER"] = 3, ["REGISTERED"] = 2, ["RST"] = 1, ["GOAWAY"] = 1 };
        foreach (var (kind, count) in stringFields)
            for (var field = 0; field < count; field++)
                for (var sequence = 0; sequence < InvalidUtf8.Length; sequence++)
                    data.Add(kind, field, sequence);
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8Fields))]
    public void Parse_InvalidUtf8InAStringField_FailsAsMalformed(string kind, int field, int sequence)
    {
        var ok = Field("ok"u8);
        var bad = Field(InvalidUtf8[sequence]);
        byte[] Strings(int count) => Enumerable.Range(0, count).SelectMany(i => i == field ? bad : ok).ToArray();
        byte[] payload = kind switch
        {
            "OPEN" => [.. Strings(2), .. U32(1)],
            "REGISTER" => [.. Strings(3), .. ok, .. ok],
            "REGISTERED" => Strings(2),
            _ => [(byte)ProtocolError.Refused, .. Strings(1)],
        };

        var error = Assert.Throws<ProtocolException>(() => Parsers[kind](payload));

        Assert.Equal(ProtocolError.MalformedPayload, error.Error);
        Assert.Contains("UTF-8", error.Message);
    }

    [Fact]
    public void RegisterPayload_ArbitraryBytesInBinaryFields_AreNotTreatedAsText()
    {
        byte[] payload = [.. Field("h"u8), .. Field("c"u8), .. Field("r"u8), .. Field([0xff, 0xc3, 0x28]), .. Field([0xed, 0xa0, 0x80])];

        var parsed = RegisterPayload.Parse(payload);

        Assert.Equal(new byte[] { 0xff, 0xc3, 0x28 }, parsed.Certificate);
        Assert.Equal(new byte[] { 0xed, 0xa0, 0x80 }, parsed.Signature);
    }

    [Fact]
    public void OpenPayload_LengthPrefixBeyondThePayload_FailsAsMalformed()
    {
        byte[] payload = [0xff, 0xff, .. "short"u8];

        var error = Assert.Throws<ProtocolException>(() => OpenPayload.Parse(payload));

        Assert.Equal(ProtocolError.MalformedPayload, error.Error);
        Assert.Contains("65535 bytes needed", error.Message);
    }

    [Fact]
    public void Frame_WindowUpdateAndPing_CarryTheirValues()
    {
        var update = Frame.WindowUpdate(9, 70_000);
        Assert.Equal(new byte[] { 0, 1, 0x11, 0x70 }, update.Payload.ToArray());
        Assert.Equal(8, Frame.Ping(42).Payload.Length);
        Assert.Equal(Encoding.ASCII.GetBytes("pong"), Frame.Pong(Encoding.ASCII.GetBytes("pong")).Payload.ToArray());
    }

    private static byte[] Field(ReadOnlySpan<byte> value)
    {
        var bytes = new byte[2 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value.Length);
        value.CopyTo(bytes.AsSpan(2));
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
