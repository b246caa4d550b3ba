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
        Apply(path, CurrentUser());
    }

    public string? Exposure(string path)
    {
        if (!OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        return Read(path, CurrentUser());
    }

    public string Fix(string path, bool directory) =>
        $"icacls \"{path}\" /inheritance:r /grant:r \"%USERNAME%\":{(directory ? "(OI)(CI)" : "")}F SYSTEM:{(directory ? "(OI)(CI)" : "")}F Administrators:{(directory ? "(OI)(CI)" : "")}F";

    /// <summary>Lets one more account (the service's, e.g. LocalService) use a directory this process restricted.</summary>
    [SupportedOSPlatform("windows")]
    public static void Grant(string directory, string sid)
    {
        var info = new DirectoryInfo(directory);
        var security = info.GetAccessControl();
        security.AddAccessRule(new FileSystemAccessRule(new SecurityIdentifier(sid), FileSystemRights.Modify,
            InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit, PropagationFlags.None, AccessControlType.Allow));
        info.SetAccessControl(security);
    }

    [SupportedOSPlatform("windows")]
    private static string CurrentUser()
    {
        using var identity = WindowsIdentity.GetCurrent();
        return identity.User!.Value;
    }

    [SupportedOSPlatform("windows")]
    private static void Apply(string path, string owner)
    {
        var directory = Directory.Exists(path);
        var inherit = directory ? InheritanceFlags.ContainerInherit | InheritanceFlags.ObjectInherit : InheritanceFlags.None;
        FileSystemSecurity security = directory ? new DirectorySecurity() : new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        foreach (var sid in WindowsAcl.Trusted(owner))
            security.AddAccessRule(new FileSystemAccessRule(new SecurityIdentifier(sid), FileSystemRights.FullControl, inherit, PropagationFlags.None, AccessControlType.Allow));
        if (directory) new DirectoryInfo(path).SetAccessControl((DirectorySecurity)security);
        else new FileInfo(path).SetAccessControl((FileSecurity)security);
    }

    [SupportedOSPlatform("windows")]
    private static string? Read(string path, string owner)
    {
        FileSystemSecurity security = Directory.Exists(path) ? new DirectoryInfo(path).GetAccessControl() : new FileInfo(path).GetAccessControl();
        var rules = security.GetAccessRules(includeExplicit: true, includeInherited: true, typeof(SecurityIdentifier))
            .Cast<FileSystemAccessRule>()
            .Select(r => new WindowsAcl.Rule(r.IdentityReference.Value, r.AccessControlType == AccessControlType.Allow,
                (r.FileSystemRights & (FileSystemRights.ReadData | FileSystemRights.WriteData)) != 0));
        var strangers = WindowsAcl.Strangers(rules, owner);
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
    public const string LocalService = "S-1-5-19";

    public sealed record Rule(string Sid, bool Allow, bool ReadsOrWrites);

    /// <summary>The owner, SYSTEM and the Administrators group: the accounts that may hold a secret.</summary>
    public static IReadOnlyList<string> Trusted(string owner) => [owner, LocalSystem, Administrators];

    /// <summary>Everyone an allow rule lets read or write, other than the owner, SYSTEM and Administrators (deny rules only take away).</summary>
    public static IReadOnlyList<string> Strangers(IEnumerable<Rule> rules, string owner) =>
        rules.Where(r => r.Allow && r.ReadsOrWrites && !Trusted(owner).Contains(r.Sid, StringComparer.OrdinalIgnoreCase))
            .Select(r => r.Sid).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
}
