using System.Runtime.InteropServices;

namespace TunnelActors.Access;

/// <summary>
/// A directory that holds secrets, kept as OpenSSH keeps `~/.ssh`: the directory 0700, every
/// secret in it 0600, and a process that refuses to start — naming the file and the fix —
/// when one is readable by group or others, instead of serving with keys anyone may copy.
/// </summary>
public static class SecretDirectory
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// From now on every file this process creates is 0600 and every directory 0700 (umask 077),
    /// including those other libraries create (SQLite's database, -wal and -shm files).
    /// </summary>
    public static void RestrictNewFiles()
    {
        if (!OperatingSystem.IsWindows()) _ = Umask(0x3F); // 077 octal
    }

    /// <summary>
    /// Creates <paramref name="path"/> 0700, or closes an existing one to other users (a `mkdir -p`
    /// made it 0755). Returns the mode it had when it had to be tightened, else null; throws when
    /// it cannot be.
    /// </summary>
    public static string? Ensure(string path)
    {
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(path); return null; }
        if (!Directory.Exists(path)) Directory.CreateDirectory(path, Private);
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthers) == 0) return null;
        try { File.SetUnixFileMode(path, Private); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InsecureSecretException($"data directory {path} is open to other users (mode {Octal(mode)}) and cannot be closed ({e.Message}); run: chmod 700 {Quote(path)}");
        }
        return Octal(mode);
    }

    /// <summary>Throws, naming the file and the fix, when an existing secret file is readable or writable by group or others.</summary>
    public static void CheckPrivate(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path)) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthers) != 0)
            throw new InsecureSecretException($"{path} holds secrets but is readable by other users (mode {Octal(mode)}); run: chmod 600 {Quote(path)}");
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8);

    private static string Quote(string path) => path.Contains(' ') ? $"'{path}'" : path;

    // DllImport rather than LibraryImport: umask takes and returns a plain integer, no marshalling, no unsafe code.
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
}

/// <summary>A secret on disk is exposed; the message says which and how to fix it.</summary>
public sealed class InsecureSecretException(string message) : Exception(message);
