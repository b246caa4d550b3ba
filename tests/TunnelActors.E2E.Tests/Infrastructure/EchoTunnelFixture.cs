namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>edge + connector (2 connections) + access client in front of a real TCP echo service.</summary>
public sealed class EchoTunnelFixture : IAsyncLifetime
{
    public const string Hostname = "echo.site.test";

    public EdgeRig Rig { get; private set; } = null!;
    public EchoServer Echo { get; } = new();
    public CliProcess Tunnel { get; private set; } = null!;
    public int AccessPort { get; private set; }

    public async Task InitializeAsync()
    {
        Rig = await EdgeRig.StartAsync();
        Tunnel = await Rig.StartTunnel(Hostname, Echo.Port, haConnections: 2);
        (_, AccessPort) = await Rig.StartAccess(Hostname);
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
