namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>edge + connector (2 connections) + access client in front of a real TCP echo service.</summary>
public sealed class EchoTunnelFixture : IAsyncLifetime
{
    public const string Hostname = "echo.site.test";

    public EdgeRig Rig { get; private set; } = null!;
    public EchoServer Echo { get; } = new();
    public CliProcess Tunnel { get; private set; } = null!;
    public CliProcess Access { get; private set; } = null!;
    public int AccessPort { get; private set; }

    public async Task InitializeAsync()
    {
        Rig = await EdgeRig.StartAsync();
        Tunnel = await Rig.StartTunnel(Hostname, Echo.Port, haConnections: 2);
        (Access, AccessPort) = await Rig.StartAccess(Hostname);
    }

    /// <summary>An exchange through the tunnel; one that times out says where its bytes stand on the edge and what each process logged last.</summary>
    public async Task<TcpExchange.Result> ExchangeAsync(long bytes, int seed, TimeSpan timeout, TimeSpan? stalledAfter = null)
    {
        try { return await TcpExchange.RunAsync(AccessPort, bytes, seed, timeout, stalledAfter); }
        catch (TimeoutException e)
        {
            string streams;
            try
            {
                using var admin = Rig.Admin();
                admin.Timeout = TimeSpan.FromSeconds(10);
                streams = await admin.GetStringAsync("/api/streams");
            }
            catch (Exception listing) { streams = $"(the edge did not list its streams: {listing.Message})"; }
            throw new TimeoutException($"{e.Message}\nedge streams: {streams}\naccess: {Access.Tail(5)}\nconnector: {Tunnel.Tail(5)}\nedge: {Rig.Edge.Tail(5)}", e);
        }
    }

    public async Task DisposeAsync()
    {
        await Rig.DisposeAsync();
        await Echo.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EchoTunnelCollection : ICollectionFixture<EchoTunnelFixture>
{
    public const string Name = "echo tunnel";
}
