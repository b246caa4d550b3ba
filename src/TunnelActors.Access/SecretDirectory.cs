using System.Runtime.InteropServices;

namespace TunnelActors.Access;

/// <summary>
/// A directory that holds secrets, kept as OpenSSH keeps `~/.ssh`: the directory 0700, every
/// secret in it 0600 (on Windows: owner-only ACLs, see <see cref="IFileProtection"/>), and a process
/// that refuses to start — naming the file and the fix — when one is readable by other users,
/// instead of serving with keys anyone may copy.
/// </summary>
public static class SecretDirectory
{
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
        var protection = FileProtection.ForThisSystem;
        if (!Directory.Exists(path))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
            else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (protection.Exposure(path) is not { } exposure) return null;
        try { protection.Restrict(path); }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InsecureSecretException($"data directory {path} is open to other users ({exposure}) and cannot be closed ({e.Message}); run: {protection.Fix(path, directory: true)}");
        }
        return exposure;
    }

    /// <summary>Throws, naming the file and the fix, when an existing secret file is readable or writable by anyone but its owner.</summary>
    public static void CheckPrivate(string path)
    {
        if (!File.Exists(path)) return;
        var protection = FileProtection.ForThisSystem;
        if (protection.Exposure(path) is { } exposure)
            throw new InsecureSecretException($"{path} holds secrets but is readable by other users ({exposure}); run: {protection.Fix(path, directory: false)}");
    }

    // DllImport rather than LibraryImport: umask takes and returns a plain integer, no marshalling, no unsafe code.
    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint Umask(uint mask);
}

/// <summary>A secret on disk is exposed; the message says which and how to fix it.</summary>
public sealed class InsecureSecretException(string message) : Exception(message);
