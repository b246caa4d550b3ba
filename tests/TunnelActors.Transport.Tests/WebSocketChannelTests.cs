using System.Text;
using TunnelActors.Transport.Channels;

namespace TunnelActors.Transport.Tests;

public sealed class WebSocketChannelTests
{
    [Theory]
    [InlineData("revoked", "revoked")]
    [InlineData("service token 'Zugänge Büro – Nightly' revoked: Die Sicherung läuft nicht mehr über dieses Token, bitte das neue verwenden — danke schön!", null)]
    [InlineData("😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", null)]
    public void CloseReason_IsCutToWhatAWebSocketCloseFrameCarries(string reason, string? unchanged)
    {
        var cut = WebSocketChannel.Truncate(reason);

        Assert.True(Encoding.UTF8.GetByteCount(cut) <= 123, $"{Encoding.UTF8.GetByteCount(cut)} bytes");
        Assert.False(cut.Length > 0 && char.IsHighSurrogate(cut[^1]));
        if (unchanged is not null) Assert.Equal(unchanged, cut);
        else Assert.EndsWith("…", cut);
    }
}
