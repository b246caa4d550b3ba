using System.Diagnostics;

namespace TunnelActors.Cli.Commands;

/// <summary>The system tools `service install` calls (systemctl, useradd, getent, sc.exe), run to completion.</summary>
internal static class Processes
{
    /// <summary>Exit code; 127 when the tool is not there. <paramref name="error"/> gets what it printed on standard error.</summary>
    public static int Run(string file, IReadOnlyList<string> args, out string error)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardOutput.ReadToEndAsync();
            error = process.StandardError.ReadToEnd().Trim();
            output.Wait();
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            error = $"{file} not found";
            return 127;
        }
    }

    public static int Run(string file, params string[] args) => Run(file, args, out _);

    /// <summary>Standard output of a tool that succeeded, else null.</summary>
    public static string? Output(string file, params string[] args)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
