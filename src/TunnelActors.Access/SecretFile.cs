namespace TunnelActors.Access;

/// <summary>Writes files that hold keys or tokens: 0600 (Unix, from creation, before any byte is written) or owner-only ACL (Windows).</summary>
public static class SecretFile
{
    public static void Write(string path, string contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        else if (!File.Exists(path)) File.WriteAllBytes(path, []); // Windows: restrict the empty file before the secret goes in
        if (OperatingSystem.IsWindows()) FileProtection.ForThisSystem.Restrict(path);
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(contents);
        // An existing file keeps its old mode on create: tighten it explicitly.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
