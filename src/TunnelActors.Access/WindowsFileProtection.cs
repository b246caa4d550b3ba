using System.Runtime.Versioning;
using System.Security.AccessControl;
using System.Security.Principal;

namespace TunnelActors.Access;

/// <summary>
/// Windows ACLs instead of modes: a secret's ACL is replaced by one that does not inherit and
/// allows only its owner, SYSTEM and Administrators (what `icacls /inheritance:r` and `/grant:r`
/// do). Which rules expose a secret is decided by <see cref="WindowsAcl"/>, which has no Windows
/// dependency and is unit-tested everywhere; this class only reads and writes the ACLs.
/// </summary>
public sealed class WindowsFileProtection : IFileProtection
{
    public void Restrict(string path)
    {
        if (!OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        Apply(path, Owners()[0]);
    }

    public string? Exposure(string path)
    {
        if (!OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        return Read(path, Owners());
    }

    public string Fix(string path, bool directory)
    {
        var inherit = directory ? "(OI)(CI)" : "";
        return $"icacls \"{path}\" /inheritance:r /grant:r \"{Environment.UserName}\":{inherit}F SYSTEM:{inherit}F Administrators:{inherit}F";
    }

    /// <summary>Creates <paramref name="path"/> with the owner-only ACL in place from the start: no handle can be opened on it before.</summary>
    [SupportedOSPlatform("windows")]
    public static FileStream CreatePrivate(string path)
    {
        var security = OwnerOnly(new FileSecurity(), Owners()[0], InheritanceFlags.None);
        return new FileInfo(path).Create(FileMode.CreateNew, FileSystemRights.Write | FileSystemRights.Synchronize, FileShare.None, 4096, FileOptions.None, security);
    }

    /// <summary>Lets one more account (a service's own, NT SERVICE\NAME) use a directory this process restricted.</summary>
    [SupportedOSPlatform("windows")]
    public static void Grant(string directory, string account)
    {
        var info = new DirectoryInfo(directory);
        var security = info.GetAccessControl();
        security.AddAccessRule(new FileSystemAccessRule(new NTAccount(account), FileSystemRights.Modify,
            InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
        info.SetAccessControl(security);
    }

    /// <summary>This process's user, then the service SIDs (NT SERVICE\NAME, S-1-5-80-…) its token carries when it runs as a service.</summary>
    [SupportedOSPlatform("windows")]
    private static IReadOnlyList<string> Owners()
    {
        using var identity = WindowsIdentity.GetCurrent();
        return [identity.User!.Value, .. (identity.Groups ?? []).Select(g => g.Value).Where(WindowsAcl.IsServiceSid)];
    }

    [SupportedOSPlatform("windows")]
    private static void Apply(string path, string owner)
    {
        if (Directory.Exists(path))
            new DirectoryInfo(path).SetAccessControl(OwnerOnly(new DirectorySecurity(), owner, InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit));
        else
            new FileInfo(path).SetAccessControl(OwnerOnly(new FileSecurity(), owner, InheritanceFlags.None));
    }

    /// <summary>An ACL that inherits nothing and allows only the owner, SYSTEM and Administrators.</summary>
    [SupportedOSPlatform("windows")]
    private static T OwnerOnly<T>(T security, string owner, InheritanceFlags inherit) where T : FileSystemSecurity
    {
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        foreach (var sid in WindowsAcl.Trusted(owner))
            security.AddAccessRule(new FileSystemAccessRule(new SecurityIdentifier(sid), FileSystemRights.FullControl, inherit, PropagationFlags.None, AccessControlType.Allow));
        return security;
    }

    [SupportedOSPlatform("windows")]
    private static string? Read(string path, IReadOnlyList<string> owners)
    {
        FileSystemSecurity security = Directory.Exists(path) ? new DirectoryInfo(path).GetAccessControl() : new FileInfo(path).GetAccessControl();
        var rules = security.GetAccessRules(includeExplicit: true, includeInherited: true, typeof(SecurityIdentifier))
            .Cast<FileSystemAccessRule>()
            .Select(r => new WindowsAcl.Rule(r.IdentityReference.Value, r.AccessControlType == AccessControlType.Allow,
                (r.FileSystemRights & (FileSystemRights.ReadData | FileSystemRights.WriteData)) != 0));
        var strangers = WindowsAcl.Strangers(rules, owners);
        return strangers.Count == 0 ? null : $"its ACL lets {string.Join(", ", strangers.Select(Name))} read or write it";
    }

    [SupportedOSPlatform("windows")]
    private static string Name(string sid)
    {
        try { return new SecurityIdentifier(sid).Translate(typeof(NTAccount)).Value; }
        catch (IdentityNotMappedException) { return sid; }
    }
}

/// <summary>The rule: who besides a secret's owner may hold it on Windows, and which ACL entries break that.</summary>
public static class WindowsAcl
{
    public const string LocalSystem = "S-1-5-18";
    public const string Administrators = "S-1-5-32-544";

    public sealed record Rule(string Sid, bool Allow, bool ReadsOrWrites);

    /// <summary>The owner, SYSTEM and the Administrators group: the accounts that may hold a secret.</summary>
    public static IReadOnlyList<string> Trusted(string owner) => [owner, LocalSystem, Administrators];

    /// <summary>A service's own SID (NT SERVICE\NAME).</summary>
    public static bool IsServiceSid(string sid) => sid.StartsWith("S-1-5-80-", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Everyone an allow rule lets read or write, other than <paramref name="owners"/> (this process's user and
    /// service SIDs), SYSTEM and Administrators. Deny rules only take away.
    /// </summary>
    public static IReadOnlyList<string> Strangers(IEnumerable<Rule> rules, IReadOnlyList<string> owners) =>
        rules.Where(r => r.Allow && r.ReadsOrWrites
                && !owners.Contains(r.Sid, StringComparer.OrdinalIgnoreCase) && !Trusted(owners[0]).Contains(r.Sid, StringComparer.OrdinalIgnoreCase))
            .Select(r => r.Sid).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
}
