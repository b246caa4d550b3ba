using Microsoft.Extensions.Logging;
using TunnelActors.Access.Policies;

namespace TunnelActors.Edge.Access;

/// <summary>
/// The Access applications in force: from the edge configuration file (reloaded when it
/// changes; a broken edit is logged with its line and the previous policies stay), or the
/// embedded default when no file is given.
/// </summary>
public sealed class AccessPolicySource : IDisposable
{
    private readonly string? _path;
    private readonly ILogger _log;
    private readonly Timer? _watch;
    private DateTime _loadedWriteTime;
    private volatile IReadOnlyList<AccessApplication> _applications;

    public AccessPolicySource(string? path, ILogger log)
    {
        (_path, _log) = (path, log);
        if (path is null)
        {
            _applications = AccessConfig.Parse(AccessConfig.EmbeddedDefault, "embedded default");
            return;
        }
        _loadedWriteTime = File.GetLastWriteTimeUtc(path);
        _applications = AccessConfig.Parse(File.ReadAllText(path), path); // a bad file at start-up is fatal
        log.LogInformation("Loaded {Count} Access applications from {Path}", _applications.Count, path);
        // Polling, not FileSystemWatcher: works for editors that replace the file and on every filesystem.
        _watch = new Timer(_ => ReloadIfChanged(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public IReadOnlyList<AccessApplication> Applications => _applications;

    public AccessApplication? Find(string hostname) => PolicyEvaluator.Find(_applications, hostname);

    private void ReloadIfChanged()
    {
        try
        {
            var written = File.GetLastWriteTimeUtc(_path!);
            if (written == _loadedWriteTime) return;
            _loadedWriteTime = written;
            _applications = AccessConfig.Parse(File.ReadAllText(_path!), _path!);
            _log.LogInformation("Reloaded {Count} Access applications from {Path}", _applications.Count, _path);
        }
        catch (Exception e) when (e is AccessConfigException or IOException)
        {
            _log.LogError("Keeping the previous Access policies: {Reason}", e.Message);
        }
    }

    public void Dispose() => _watch?.Dispose();
}
