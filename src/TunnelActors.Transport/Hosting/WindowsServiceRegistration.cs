namespace TunnelActors.Transport.Hosting;

/// <summary>
/// The `sc.exe` calls that register a role with the Windows Service Control Manager, as
/// `service install` runs them on Windows: started automatically (delayed, after the network),
/// under the LocalService account (no administrator rights, anonymous on the network) with a
/// service SID of its own (NT SERVICE\NAME) that its files are granted to, and restarted whenever
/// it stops — crash or non-zero exit — 5 s, 5 s, then 30 s after, the count reset after a day.
/// Pure argv lists, so they are tested everywhere.
/// </summary>
public static class WindowsServiceRegistration
{
    public const string Account = @"NT AUTHORITY\LocalService";

    /// <summary>Registration, before the service's files are prepared (its service SID exists from here on); <see cref="Start"/> after.</summary>
    public static IReadOnlyList<string[]> Register(string name, string displayName, string description, IReadOnlyList<string> command) =>
    [
        ["create", name, "binPath=", string.Join(' ', command.Select(Quote)), "start=", "delayed-auto", "obj=", Account, "DisplayName=", displayName],
        ["description", name, description],
        ["sidtype", name, "unrestricted"], // NT SERVICE\NAME: an identity of its own for ACLs
        ["failure", name, "reset=", "86400", "actions=", "restart/5000/restart/5000/restart/30000"],
        ["failureflag", name, "1"], // a non-zero exit (a downed edge, the role sentinel) counts as a failure, not only a crash
    ];

    public static string[] Start(string name) => ["start", name];

    /// <summary>The account name of the service's own SID, for ACLs.</summary>
    public static string ServiceAccount(string name) => $@"NT SERVICE\{name}";

    /// <summary>Stop (a stopped service answers 1062, which is fine) and delete.</summary>
    public static IReadOnlyList<string[]> Unregister(string name) => [["stop", name], ["delete", name]];

    /// <summary>Windows command-line quoting for one argument of the service's command line (CommandLineToArgvW's rules).</summary>
    public static string Quote(string arg)
    {
        if (arg.Length > 0 && !arg.Any(c => c is ' ' or '\t' or '"')) return arg;
        var quoted = new System.Text.StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in arg)
        {
            if (c == '\\') { backslashes++; continue; }
            quoted.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes).Append(c);
            backslashes = 0;
        }
        return quoted.Append('\\', backslashes * 2).Append('"').ToString();
    }
}
