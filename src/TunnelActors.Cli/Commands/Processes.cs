using System.Diagnostics;

namespace TunnelActors.Cli.Commands;

/// <summary>The system tools `service install` calls (systemctl, useradd, getent, sc.exe), run to completion.</summary>
internal static class Processes
{
    /// <summary>Exit code; 127 when the tool is not there. <paramref name="error"/> gets what it printed on standard error.</summary>
    public static int Run(string file, IReadOnlyList<string> args, out string error)
    {
        (var code, _, error) = Execute(file, args);
        return code;
    }

    public static int Run(string file, params string[] args) => Run(file, args, out _);

    /// <summary>Standard output of a tool that succeeded, else null.</summary>
    public static string? Output(string file, params string[] args) => Execute(file, args) is (0, var output, _) ? output : null;

    private static (int Code, string Output, string Error) Execute(string file, IReadOnlyList<string> args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardOutput.ReadToEndAsync(); // both pipes drained at once: neither can fill and block the tool
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Result.Trim(), error.Trim());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (127, "", $"{file} not found");
        }
    }
}
