namespace TunnelActors.Access;

/// <summary>
/// How this system keeps a secret to its owner: Unix modes (0600 files, 0700 directories) or
/// Windows ACLs (the owner, SYSTEM and Administrators only, nothing inherited).
/// <see cref="SecretFile"/> and <see cref="SecretDirectory"/> go through it.
/// </summary>
public interface IFileProtection
{
    /// <summary>Closes an existing file or directory to everyone but its owner.</summary>
    void Restrict(string path);

    /// <summary>What is wrong with <paramref name="path"/> (a secret file or directory), as "who may read it", or null when only its owner may.</summary>
    string? Exposure(string path);

    /// <summary>The command an operator runs to close <paramref name="path"/> by hand.</summary>
    string Fix(string path, bool directory);
}

public static class FileProtection
{
    public static IFileProtection ForThisSystem { get; } =
        OperatingSystem.IsWindows() ? new WindowsFileProtection() : new UnixFileProtection();
}

/// <summary>Unix modes: group and others get nothing.</summary>
public sealed class UnixFileProtection : IFileProtection
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public void Restrict(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~GroupOrOthers & ~UnixFileMode.UserExecute
            | (Directory.Exists(path) ? UnixFileMode.UserExecute : 0));
    }

    public string? Exposure(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        var mode = File.GetUnixFileMode(path);
        return (mode & GroupOrOthers) == 0 ? null : $"mode 0{Convert.ToString((int)mode, 8)}: open to other users";
    }

    public string Fix(string path, bool directory) => $"chmod {(directory ? "700" : "600")} {(path.Contains(' ') ? $"'{path}'" : path)}";
}
