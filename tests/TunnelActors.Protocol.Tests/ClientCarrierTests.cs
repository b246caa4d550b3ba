using TunnelActors.Protocol;

namespace TunnelActors.Protocol.Tests;

/// <summary>The carrier's stream credential and ids: what the client writes, the edge reads back; nothing else parses, and no log shows a secret.</summary>
public sealed class ClientCarrierTests
{
    [Fact]
    public void ACredential_RoundTrips_WithCaseInsensitiveNames()
    {
        var identity = ClientCarrier.EncodeCredential([new("Cf-Access-Client-Id", "id.access"), new("Cf-Access-Client-Secret", "s3cret"), new("X-Extra", "1")]);

        var headers = ClientCarrier.DecodeCredential(identity);

        Assert.Equal("id.access", headers["cf-access-client-id"]);
        Assert.Equal("s3cret", headers["CF-ACCESS-CLIENT-SECRET"]);
        Assert.Equal(3, headers.Count);
    }

    [Theory]
    [InlineData("alice@example.com")]          // a plain identity: no credential
    [InlineData("headers:not base64!")]
    [InlineData("headers:bm90IGpzb24=")]         // base64 of "not json"
    [InlineData("headers:WyJhIl0=")]             // a JSON array, not an object
    public void AnythingButAnEncodedCredential_IsRefusedWithTheReason(string identity)
    {
        var refused = Assert.Throws<ProtocolException>(() => ClientCarrier.DecodeCredential(identity));
        Assert.Equal(ProtocolError.Refused, refused.Error);
    }

    [Fact]
    public void HeadersTooLargeForAnOpen_AreRefusedBeforeSending()
    {
        Assert.Throws<ArgumentException>(() => ClientCarrier.EncodeCredential([new("X-Big", new string('a', ClientCarrier.MaxEncoded))]));
    }

    [Fact]
    public void AnOpenCarryingACredential_NeverPrintsIt()
    {
        var open = new OpenPayload("smb.site.test", ClientCarrier.EncodeCredential([new("Cf-Access-Token", "eyJ.secret.token")]), 131072);

        Assert.DoesNotContain("headers:", open.ToString());
        Assert.Contains("(credential)", open.ToString());
        Assert.Contains("alice@example.com", (open with { Identity = "alice@example.com" }).ToString());
    }

    [Theory]
    [InlineData("c7@10.0.0.1:443", 5u, "c7.5@10.0.0.1:443")]
    [InlineData("edge:443#2", 3u, "edge:443#2.3")]
    public void AStreamId_IsItsCarriersIdAndItsNumber(string carrier, uint stream, string expected) =>
        Assert.Equal(expected, ClientCarrier.StreamId(carrier, stream));

    [Theory]
    [InlineData("smb.site.com", true)]
    [InlineData("a-b.example", true)]
    [InlineData("", false)]
    [InlineData("bad host", false)]
    [InlineData("evil\nlog line", false)]
    public void OnlyDnsNames_AreHostnames(string hostname, bool valid) => Assert.Equal(valid, ClientCarrier.IsHostname(hostname));
}
