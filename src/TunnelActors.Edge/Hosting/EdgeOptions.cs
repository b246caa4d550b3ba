namespace TunnelActors.Edge.Hosting;

/// <summary>Settings of one edge node; every default is the embedded single-node setup.</summary>
public sealed record EdgeOptions
{
    /// <summary>HTTPS listen address (default https://127.0.0.1:8443).</summary>
    public Uri Listen { get; init; } = new("https://127.0.0.1:8443");

    /// <summary>Directory for the CA, certificates, service token and SQLite state (default ./data).</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>The dev zone the first-start origin certificate covers (default site.test).</summary>
    public string DevZone { get; init; } = "site.test";

    /// <summary>
    /// Control-plane database: a postgres:// URL (or Npgsql connection string) shared by every
    /// edge of a cluster; none means SQLite in the data directory (a single edge).
    /// </summary>
    public string? Database { get; init; }

    /// <summary>Edge configuration (YAML with `applications:`); none means the embedded default policies.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The operator's OpenID Connect provider for single sign-on; none means one-time PINs only.</summary>
    public TunnelActors.Access.Login.OidcOptions? Oidc { get; init; }

    /// <summary>Where one-time PINs are emailed from; none means the dev sender (PINs in the edge log).</summary>
    public SmtpOptions? Smtp { get; init; }

    /// <summary>Plain-HTTP address for Prometheus `/metrics` (default none; /metrics is then off the public port too).</summary>
    public System.Net.IPEndPoint? MetricsAddress { get; init; }

    /// <summary>Windows and limits of every multiplexed connection this edge terminates or dials (connectors, peer edges).</summary>
    public TunnelActors.Transport.Mux.MuxOptions Mux { get; init; } = TunnelActors.Transport.Mux.MuxOptions.Default;

    /// <summary>Akka remoting port (default 0: any free port, fine for a single node).</summary>
    public int ClusterPort { get; init; }

    /// <summary>Akka remoting host name others reach this node at (default 127.0.0.1).</summary>
    public string ClusterHost { get; init; } = "127.0.0.1";

    /// <summary>Seed nodes (akka.tcp://tunnelactors@host:port); none means form a cluster of one.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>
    /// Silence tolerated from another edge before it is unreachable (Akka's acceptable heartbeat
    /// pause; default 3 s, as Akka's). Lower detects dead edges sooner but mistakes GC pauses for deaths; a
    /// mistaken unreachability costs little, as only <see cref="DownUnreachableAfter"/> downs an edge.
    /// </summary>
    public TimeSpan FailureDetectorPause { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Stable unreachability before the split-brain resolver (keep-majority) downs the silent
    /// side and sharding moves its tunnels (default 15 s). Clients on surviving edges do not
    /// wait for it: they use the connections on their own node.
    /// </summary>
    public TimeSpan DownUnreachableAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often a live stream checks its credential and its application's policies again (default 30 s).
    /// Revocations and policy changes reach streams at once by pub-sub; this catches one an edge missed
    /// because it was cut off when it was published. Each check reads the database once per stream.
    /// </summary>
    public TimeSpan StreamRecheckInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>On SIGTERM, how long open streams may finish before the edge stops (default 30 s).</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often connections re-announce themselves to their tunnel entity (default 2 s).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A connector that sent nothing for this long is dropped (default 15 s; it is pinged every heartbeat).</summary>
    public TimeSpan ConnectionIdleTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A connector connection that sent nothing for this long (a connector pings every second and
    /// answers the edge's pings: a path that stopped forwarding, a frozen host) gets new streams only
    /// when its tunnel has no other connection, until it is heard again (default 1.5 s: the edge pings
    /// a connection quiet for a third of that, so a live one answers well within it on any path
    /// shorter than a second; a false alarm only sends new streams to the tunnel's other connections).
    /// </summary>
    public TimeSpan ConnectionSuspectAfter { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// Lifetime of the origin certificates `tunnel login` hands out and of the dev zone's
    /// `cert.pem` (default 365 days): a lost certificate stops working by itself; revoke it sooner
    /// with `tunnelactors tunnel revoke-cert`.
    /// </summary>
    public TimeSpan OriginCertificateLifetime { get; init; } = TimeSpan.FromDays(365);

    /// <summary>Time a new connection has to send REGISTER (default 10 s).</summary>
    public TimeSpan RegisterTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where other edges open streams on this node's connections: its cluster host at its HTTPS port.</summary>
    public string PeerUrl => new UriBuilder("https", ClusterHost, Listen.Port).Uri.GetLeftPart(UriPartial.Authority);

    /// <summary>The `iss` of the tokens this edge signs: its public URL.</summary>
    public string Issuer => Listen.GetLeftPart(UriPartial.Authority);

    public string DataPath(string file) => Path.Combine(DataDirectory, file);
}

/// <summary>An SMTP relay for one-time PIN emails.</summary>
public sealed record SmtpOptions(string Host, int Port, string From);
