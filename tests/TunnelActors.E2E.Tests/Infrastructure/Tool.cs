using System.Diagnostics;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>Runs a command-line tool or script to its end: exit code and output (stdout then stderr).</summary>
public static class Tool
{
    public static async Task<(int Exit, string Output)> Run(string file, IEnumerable<string> args, TimeSpan timeout,
        IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// An assertion message for a script that failed: its exit code and the last lines of its output first (a script
    /// names its failure at the end, and CI's summary shows only a message's first lines), then the whole output.
    /// </summary>
    public static string Failure(int exit, string output)
    {
        var lines = output.TrimEnd().Split('\n');
        return $"exit {exit}; the output ends:\n{string.Join('\n', lines.TakeLast(6))}\n--- the whole output:\n{output}";
    }
}
