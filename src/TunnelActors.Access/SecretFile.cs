namespace TunnelActors.Access;

/// <summary>Writes files that hold keys or tokens: 0600 (Unix) or an owner-only ACL (Windows), in place before any byte is written.</summary>
public static class SecretFile
{
    public static void Write(string path, string contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (var stream = Open(path))
        using (var writer = new StreamWriter(stream))
            writer.Write(contents);
        // An existing file keeps its old mode on create: tighten it explicitly.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static FileStream Open(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            return new FileStream(path, options);
        }
        if (!File.Exists(path)) return WindowsFileProtection.CreatePrivate(path);
        FileProtection.ForThisSystem.Restrict(path); // an existing file: its ACL is replaced before it is truncated and written
        return new FileStream(path, options);
    }
}
