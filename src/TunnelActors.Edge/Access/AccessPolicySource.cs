using Microsoft.Extensions.Logging;
using TunnelActors.Access.Policies;
using TunnelActors.Edge.State;

namespace TunnelActors.Edge.Access;

/// <summary>
/// The Access applications in force: from the edge configuration file (reloaded when it
/// changes; a broken edit is logged with its line and the previous policies stay), or the
/// embedded default when no file is given. A change is applied once the file's text has held still
/// for <see cref="HoldStill"/>: an editor's truncate-then-write is not read half-way (an empty file
/// would deny everything and end every stream; one cut short may drop a policy's require rules), and
/// a rewrite within the clock tick of the last one is seen too (the text is compared, not the
/// modification time). A writer that pauses longer than that mid-file can still be read half-way:
/// replace the file instead (write another, then rename it over this one), as the README says.
/// </summary>
public sealed class AccessPolicySource : IDisposable
{
    private readonly string? _path;
    private readonly ILogger _log;
    private readonly Timer? _watch;
    private readonly ApplicationStore? _store;
    private volatile IReadOnlyList<AccessApplication> _stored = [];
    /// <summary>How long a changed file must read the same before it is applied.</summary>
    public static readonly TimeSpan HoldStill = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _clock;
    private readonly Lock _reloading = new(); // timer callbacks may overlap (a slow file system): one poll at a time
    private string _loadedText = "";
    private (string Text, DateTimeOffset Since)? _changed; // read, not yet applied: since when it reads so
    private volatile IReadOnlyList<AccessApplication> _applications;
    private volatile IReadOnlyList<Zone> _zones;

    /// <param name="path">The configuration file, or null for the embedded default.</param>
    /// <param name="console">The edge's own host name: signing in to it (for `tunnel login`) is open to anyone who can sign in.</param>
    /// <param name="devZone">With the embedded default, the zone every signed-in user administers.</param>
    /// <param name="poll">How often the file is read for changes (a test polls by hand with <see cref="Timeout.InfiniteTimeSpan"/>).</param>
    /// <param name="clock">What <see cref="HoldStill"/> is measured with.</param>
    public AccessPolicySource(string? path, ILogger log, string console = "127.0.0.1", string devZone = "site.test", ApplicationStore? store = null,
        TimeSpan? poll = null, TimeProvider? clock = null)
    {
        (_path, _log, _store, _clock) = (path, log, store, clock ?? TimeProvider.System);
        Console = new AccessApplication("edge console", console.ToLowerInvariant(), TimeSpan.FromHours(1),
            [new Policy("anyone who signs in", PolicyAction.Allow, [new EveryoneRule()])]);
        if (path is null)
        {
            _applications = AccessConfig.Parse(AccessConfig.EmbeddedDefault, "embedded default");
            _zones = [new Zone(devZone, [new EveryoneRule()])];
            return;
        }
        var text = _loadedText = File.ReadAllText(path);
        _applications = AccessConfig.Parse(text, path); // a bad file at start-up is fatal
        _zones = AccessConfig.ParseZones(text, path);
        log.LogInformation("Loaded {Count} Access applications from {Path}", _applications.Count, path);
        // Polling, not FileSystemWatcher: works for editors that replace the file and on every filesystem.
        var every = poll ?? HoldStill;
        _watch = new Timer(_ => ReloadIfChanged(), null, every, every);
    }

    /// <summary>
    /// The configuration file was reloaded: live streams are decided again. (Changes through the
    /// admin API are announced cluster-wide instead: see <see cref="Streams.AccessRevoked"/>.)
    /// </summary>
    public event Action? Changed;

    /// <summary>Applications from the configuration file first, then those created through the admin API.</summary>
    public IReadOnlyList<AccessApplication> Applications => [.. _applications, .. _stored];
    public IReadOnlyList<Zone> Zones => _zones;

    /// <summary>The edge itself, as an application users sign in to for `tunnel login`.</summary>
    public AccessApplication Console { get; }

    public AccessApplication? Find(string hostname) =>
        hostname.Equals(Console.Domain, StringComparison.OrdinalIgnoreCase) ? Console : PolicyEvaluator.Find(Applications, hostname);

    /// <summary>Validates an application (JSON in the YAML configuration's shape) and persists it; throws <see cref="AccessConfigException"/>.</summary>
    public AccessApplication Save(string json)
    {
        var application = ParseOne(json, "request body");
        if (_store is null) throw new InvalidOperationException("this edge has no application store");
        _store.Put(application.Name, json);
        LoadStored();
        return application;
    }

    public bool Delete(string name)
    {
        var deleted = _store?.Delete(name) ?? false;
        LoadStored();
        return deleted;
    }

    /// <summary>Reads the applications persisted through the admin API (call at start-up and after changes).</summary>
    public void LoadStored() =>
        _stored = _store is null ? [] : _store.All().Select(a => ParseOne(a.Definition, $"stored application '{a.Name}'")).ToList();

    private static AccessApplication ParseOne(string json, string source) =>
        AccessConfig.Parse($"{{\"applications\": [{json}]}}", source).Single(); // YAML is a superset of JSON

    internal void ReloadIfChanged()
    {
        if (!_reloading.TryEnter()) return; // the previous poll is still reading
        try
        {
            var text = File.ReadAllText(_path!);
            var now = _clock.GetUtcNow();
            if (text == _loadedText) _changed = null; // edited and put back
            else if (_changed is not { } changed || changed.Text != text) _changed = (text, now); // still being written, maybe
            else if (now - changed.Since >= HoldStill)
            {
                (_loadedText, _changed) = (text, null); // a broken edit is not read again until it changes
                (_applications, _zones) = (AccessConfig.Parse(text, _path!), AccessConfig.ParseZones(text, _path!));
                _log.LogInformation("Reloaded {Count} Access applications from {Path}", _applications.Count, _path);
                Changed?.Invoke();
            }
        }
        catch (Exception e) when (e is AccessConfigException or IOException or UnauthorizedAccessException)
        {
            _log.LogError("Keeping the previous Access policies: {Reason}", e.Message);
        }
        finally { _reloading.Exit(); }
    }

    public void Dispose() => _watch?.Dispose();
}
