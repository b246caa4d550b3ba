namespace TunnelActors.Cli.Commands;

/// <summary>
/// A systemd unit for one role, as `service install` writes it and the Debian package ships it:
/// the one place that says how every role runs under systemd. Each runs as the unprivileged
/// `tunnelactors` user with its state in /var/lib/tunnelactors (0700), a read-only view of
/// the rest of the system, no new privileges, and only the edge — the public front that binds
/// 443 — holds CAP_NET_BIND_SERVICE. Secrets come from the environment file (0600), never the
/// command line. An access client is a person's: it runs as their user unit (<see cref="RenderForUser"/>),
/// with their home and its cached sign-in.
/// </summary>
public sealed record SystemdUnit(string Description, IReadOnlyList<string> Command, bool BindsPrivilegedPort, string EnvironmentFile)
{
    public const string User = "tunnelactors";
    public const string StateDirectory = "/var/lib/tunnelactors";

    /// <summary>Unit text. <paramref name="command"/> is ExecStart's argv, quoted here; `$TUNNELACTORS_ARGS` from the environment file is appended as further words.</summary>
    public string Render() => $"""
        [Unit]
        Description={Description}
        Documentation=file:///usr/share/doc/tunnelactors/README.md
        Wants=network-online.target
        After=network-online.target

        {Service}
        # Streams drain on SIGTERM within the grace period (default 30 s).
        TimeoutStopSec=60s
        KillSignal=SIGTERM

        User={User}
        Group={User}
        StateDirectory=tunnelactors
        StateDirectoryMode=0700
        CacheDirectory=tunnelactors
        CacheDirectoryMode=0700
        ReadWritePaths={StateDirectory}
        # ~/.tunnelactors (origin certificate, token cache) is the state directory's.
        Environment=HOME={StateDirectory}
        # The single-file binary unpacks its native libraries here, not in a read-only home.
        Environment=DOTNET_BUNDLE_EXTRACT_BASE_DIR=%C/tunnelactors
        UMask=0077
        NoNewPrivileges=yes
        ProtectSystem=strict
        ProtectHome=yes
        PrivateTmp=yes
        PrivateDevices=yes
        PrivateMounts=yes
        ProtectKernelTunables=yes
        ProtectKernelModules=yes
        ProtectKernelLogs=yes
        ProtectControlGroups=yes
        ProtectClock=yes
        ProtectHostname=yes
        ProtectProc=invisible
        RestrictSUIDSGID=yes
        RestrictRealtime=yes
        RestrictNamespaces=yes
        LockPersonality=yes
        RemoveIPC=yes
        RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
        SystemCallArchitectures=native
        SystemCallFilter=@system-service
        SystemCallFilter=~@privileged
        SystemCallErrorNumber=EPERM
        {Capabilities}

        [Install]
        WantedBy=multi-user.target

        """;

    /// <summary>A user unit (`systemctl --user`): the user's own account and home, started with their session.</summary>
    public string RenderForUser() => $"""
        [Unit]
        Description={Description}
        Documentation=file:///usr/share/doc/tunnelactors/README.md

        {Service}
        NoNewPrivileges=yes
        UMask=0077

        [Install]
        WantedBy=default.target

        """;

    // Both kinds: the command with the environment file's further flags, restarted whatever made it exit.
    private string Service => $"""
        [Service]
        Type=exec
        EnvironmentFile=-{EnvironmentFile}
        ExecStart={string.Join(' ', Command.Select(Quote))} $TUNNELACTORS_ARGS
        Restart=always
        RestartSec=5s
        """;

    // The .NET JIT writes code pages, so MemoryDenyWriteExecute is left off.
    private string Capabilities => BindsPrivilegedPort
        ? "AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE"
        : "AmbientCapabilities=\nCapabilityBoundingSet=";

    /// <summary>systemd's quoting: double quotes around words with spaces or quotes; % and $ doubled so they stay literal.</summary>
    public static string Quote(string arg)
    {
        var escaped = arg.Replace("%", "%%").Replace("$", "$$");
        return escaped.Any(c => char.IsWhiteSpace(c) || c is '"' or '\\' or '\'')
            ? "\"" + escaped.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""
            : escaped;
    }
}
