using System.Net;

namespace TunnelActors.Client.Hosting;

/// <summary>Settings of `tunnelactors access tcp`.</summary>
public sealed record AccessTcpOptions
{
    /// <summary>The application's hostname (sent as the WebSocket Host).</summary>
    public required string Hostname { get; init; }

    /// <summary>Local address to listen on (e.g. 127.0.0.1:8445); null: carry standard input and output (ssh's ProxyCommand).</summary>
    public IPEndPoint? Listen { get; init; }

    /// <summary>The edge (default https://&lt;hostname&gt;).</summary>
    public required Uri Edge { get; init; }

    /// <summary>Further edge replicas, used in turn when the one in use is unreachable or draining.</summary>
    public IReadOnlyList<Uri> OtherEdges { get; init; } = [];

    public IReadOnlyList<Uri> Edges => [Edge, .. OtherEdges];

    /// <summary>CA that signed the edge's TLS certificate; none means the system roots.</summary>
    public string? CaFile { get; init; }

    public string? ServiceTokenId { get; init; }
    public string? ServiceTokenSecret { get; init; }

    /// <summary>Where user tokens are cached (default ~/.tunnelactors/tokens).</summary>
    public string TokenDirectory { get; init; } = Login.TokenCache.DefaultDirectory;

    /// <summary>Open a browser for sign-in (false: only print the URL).</summary>
    public bool OpenBrowser { get; init; } = true;

    /// <summary>Local connections served at once per listener (default 16384, `--max-connections`); one more is refused with a reset and a log line.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;
    public const int DefaultMaxConnections = 16384;

    /// <summary>How connections reach the edge (`--carrier`): streams on one multiplexed carrier (default), or a WebSocket each, as cloudflared does.</summary>
    public CarrierKind Carrier { get; init; } = CarrierKind.Mux;

    /// <summary>Headers sent with every stream (`--header`/`-H`, and `--destination` as Cf-Access-Jump-Destination), as cloudflared sends them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders { get; init; } = [];

    /// <summary>The carrier's liveness and redial timings.</summary>
    public Listeners.CarrierTimings CarrierTimings { get; init; } = new();
}

public enum CarrierKind { Mux, WebSocket }
