using Akka.Streams;
using Akka.TestKit.Xunit2;
using TunnelActors.Transport.Channels;
using TunnelActors.Transport.Stages;

namespace TunnelActors.Transport.Tests;

public sealed class ByteRelayTests : TestKit
{
    [Fact]
    public async Task Relay_BetweenTwoSocketPairs_CopiesBothWaysWithHalfClose()
    {
        var (clientEnd, relayLeft) = await SocketPair.CreateAsync();
        var (relayRight, serverEnd) = await SocketPair.CreateAsync();
        using var client = new SocketChannel(clientEnd);
        using var server = new SocketChannel(serverEnd);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var relay = ByteRelay.RunAsync(new SocketChannel(relayLeft), new SocketChannel(relayRight), Sys.Materializer(), KillSwitches.Shared("t"));
        var up = ByteStreams.WriteRandomAsync(client, 4 << 20, 1, cancel.Token);
        var upRead = await ByteStreams.ReadAllAsync(server, cancel.Token);
        var down = ByteStreams.WriteRandomAsync(server, 2 << 20, 2, cancel.Token);
        var downRead = await ByteStreams.ReadAllAsync(client, cancel.Token);

        Assert.Equal(await up, upRead.Sha256);
        Assert.Equal(await down, downRead.Sha256);
        var result = await relay.WaitAsync(cancel.Token);
        Assert.Equal((4L << 20, 2L << 20), (result.AToB, result.BToA));
    }

    [Fact]
    public async Task Relay_OneSideResets_AbortsTheOtherSide()
    {
        var (clientEnd, relayLeft) = await SocketPair.CreateAsync();
        var (relayRight, serverEnd) = await SocketPair.CreateAsync();
        using var server = new SocketChannel(serverEnd);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var relay = ByteRelay.RunAsync(new SocketChannel(relayLeft), new SocketChannel(relayRight), Sys.Materializer(), KillSwitches.Shared("t"));

        new SocketChannel(clientEnd).Abort(new IOException("client crashed"));

        await Assert.ThrowsAnyAsync<Exception>(() => relay.WaitAsync(cancel.Token));
        // The server side must see its connection end (reset or EOF) rather than wait forever.
        try { await ByteStreams.ReadAllAsync(server, cancel.Token); }
        catch (Exception e) when (e is not OperationCanceledException) { }
        Assert.False(cancel.IsCancellationRequested, "the server side was left hanging");
    }
}
