using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace TunnelActors.E2E.Tests.Infrastructure;

/// <summary>
/// A `tunnelactors` process started by a test: output kept (bounded) for assertions and written
/// to a log file under the test artifacts; SIGTERM or SIGKILL to stop it.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private const int MaxLines = 20_000;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter _log;

    private CliProcess(string name, IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? environment)
    {
        Name = name;
        var logDir = Path.Combine(Repo.Root, "artifacts", "e2e-logs");
        Directory.CreateDirectory(logDir);
        _log = new StreamWriter(Path.Combine(logDir, $"{DateTime.UtcNow:HHmmss}-{name}-{Guid.NewGuid().ToString()[..6]}.log")) { AutoFlush = true };

        // A built tunnelactors.dll runs under `dotnet`; an installed single-file binary ($TUNNELACTORS_CLI=/usr/bin/tunnelactors) runs itself.
        var native = !Repo.CliDll.EndsWith(".dll", StringComparison.Ordinal);
        var info = new ProcessStartInfo(native ? Repo.CliDll : "dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (!native) info.ArgumentList.Add(Repo.CliDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_gcServer"] = "0";
        if (environment is not null) foreach (var (k, v) in environment) info.Environment[k] = v;
        _log.WriteLine("$ tunnelactors " + string.Join(' ', info.ArgumentList.Skip(native ? 0 : 1)));
        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>For connectors: the port of their /ready and /metrics server.</summary>
    public int MetricsPort { get; set; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output => string.Join('\n', _lines);

    public static CliProcess Start(string name, string workingDirectory, IDictionary<string, string>? environment, params string[] args) =>
        new(name, args, workingDirectory, environment);

    public static CliProcess Start(string name, string workingDirectory, params string[] args) => new(name, args, workingDirectory, null);

    /// <summary>How many output lines contain every one of <paramref name="texts"/>.</summary>
    public int CountLines(params string[] texts) => _lines.Count(l => texts.All(text => l.Contains(text, StringComparison.Ordinal)));

    /// <summary>Waits for an output line containing <paramref name="text"/>.</summary>
    public async Task WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} did not print '{text}' within {timeout}. Output:\n{Tail()}");
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before printing '{text}'. Output:\n{Tail()}");
            await Task.Delay(100);
        }
    }

    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"{Name} still running after {timeout}. Output:\n{Tail()}"); }
        return _process.ExitCode;
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process.Id}");
        kill.WaitForExit();
    }

    public string Tail(int lines = 60) => string.Join('\n', _lines.TakeLast(lines));

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            Signal("CONT"); // a process a test froze (SIGSTOP) would not act on SIGTERM
            Signal("TERM");
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(cancel.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
        await _log.DisposeAsync();
    }

    private void Add(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        while (_lines.Count > MaxLines) _lines.TryDequeue(out _);
        lock (_log) _log.WriteLine(line);
    }
}
