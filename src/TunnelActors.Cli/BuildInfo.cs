using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace TunnelActors.Cli;

/// <summary>
/// The version and commit this binary was built from. The SDK appends the commit to the
/// informational version ("0.3.0+sha") when it builds inside a git checkout; a build from a
/// source tarball says "unknown".
/// </summary>
public static class BuildInfo
{
    private static readonly string Informational = typeof(BuildInfo).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version => Informational.Split('+')[0];

    public static string Commit => Informational.Split('+') is [_, var sha, ..] && sha.Length > 0 ? sha[..Math.Min(12, sha.Length)] : "unknown";

    /// <summary>One line for `--version`: what a bug report needs.</summary>
    public static string Describe() =>
        $"tunnelactors {Version} (commit {Commit}, .NET {Environment.Version}, {RuntimeInformation.RuntimeIdentifier})";

    /// <summary>Makes the root command's `--version` print <see cref="Describe"/> instead of the bare informational version.</summary>
    public static void UseFor(RootCommand root) => root.Options.OfType<VersionOption>().Single().Action = new PrintVersion();

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Describe());
            return 0;
        }
    }
}
