namespace TunnelActors.Origin.Hosting;

/// <summary>Settings of `tunnelactors tunnel`, as typed options.</summary>
public sealed record ConnectorOptions
{
    /// <summary>A quick tunnel's hostname (inside the origin certificate's zone), or a named tunnel's name.</summary>
    public required string Hostname { get; init; }

    /// <summary>Where each stream goes, by the hostname it was opened for (a quick tunnel: one service for all).</summary>
    public required Ingress.IngressRules Ingress { get; init; }

    /// <summary>A named tunnel's credentials (`tunnel run`); none means a quick tunnel proven by <see cref="OriginCertificate"/>.</summary>
    public Ingress.TunnelCredentials? Credentials { get; init; }

    /// <summary>The edge (default https://&lt;hostname&gt;: DNS points at the edge in production).</summary>
    public required Uri Edge { get; init; }

    /// <summary>Further edge replicas; connections are spread over <see cref="Edge"/> and these.</summary>
    public IReadOnlyList<Uri> OtherEdges { get; init; } = [];

    public IReadOnlyList<Uri> Edges => [Edge, .. OtherEdges];

    /// <summary>CA that signed the edge's TLS certificate; none means the system roots.</summary>
    public string? CaFile { get; init; }

    /// <summary>Origin certificate with its key, for quick tunnels (default ~/.tunnelactors/cert.pem).</summary>
    public string? OriginCertificate { get; init; }

    /// <summary>Outbound connections kept open (default 4).</summary>
    public int HaConnections { get; init; } = 4;

    /// <summary>Address of the /ready and /metrics server (default 127.0.0.1:0, any free port).</summary>
    public string MetricsAddress { get; init; } = "127.0.0.1:0";

    /// <summary>On SIGTERM, how long open streams may finish before the connector exits (default 30 s).</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connector identity; replicas of one tunnel share it (default: the hostname).</summary>
    public string? ConnectorId { get; init; }

    /// <summary>This replica's id (default: generated per process).</summary>
    public string ReplicaId { get; init; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>First reconnect delay (default 1 s); doubles per failure with 20 % jitter.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest reconnect delay (default 60 s).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// After an edge answered that it is alive but cannot serve now (503), the next dial comes after
    /// <see cref="MinBackoff"/> plus a random delay up to this (default 3 s), without growing: connectors
    /// refused by a whole cluster come back within seconds of it serving again, and not in step.
    /// </summary>
    public TimeSpan UnavailableRetryJitter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A connection that had to settle on another edge checks its own edge this often and,
    /// once it answers again, moves back (a replacement first, so no stream is cut; default 30 s).
    /// </summary>
    public TimeSpan RebalanceInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Each connection pings its edge this often (default 1 s); the edge pings too, so a live path is never quiet for long.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A connection that hears nothing from its edge for this long (a path that stopped forwarding,
    /// a frozen edge, a host on another network) gets a replacement at once, on the next edge; it
    /// keeps its streams, and is closed once they are done (default 2 s: two pings, while the edge
    /// pings a quiet connection every half second).
    /// </summary>
    public TimeSpan SuspectAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A connection silent this long is cut and its streams fail with the reason (default 15 s).</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Windows and limits of each multiplexed connection to an edge.</summary>
    public TunnelActors.Transport.Mux.MuxOptions Mux { get; init; } = TunnelActors.Transport.Mux.MuxOptions.Default;

    public string EffectiveConnectorId => ConnectorId ?? Hostname.ToLowerInvariant();
}
