namespace TunnelActors.Access.Tests;

/// <summary>Who may hold a secret: Unix modes here, and the Windows ACL rule (pure, so it runs everywhere).</summary>
public sealed class FileProtectionTests
{
    private const string Owner = "S-1-5-21-1004336348-1177238915-682003330-1001";
    private const string Users = "S-1-5-32-545";
    private const string Everyone = "S-1-1-0";

    [Fact]
    public void WindowsAcl_OwnerSystemAndAdministrators_ExposeNothing()
    {
        WindowsAcl.Rule[] rules = [new(Owner, true, true), new(WindowsAcl.LocalSystem, true, true), new(WindowsAcl.Administrators, true, true)];

        Assert.Empty(WindowsAcl.Strangers(rules, [Owner]));
    }

    [Fact]
    public void WindowsAcl_InheritedUsersOrEveryone_ExposeTheSecret_ButDenyRulesAndRightsWithoutDataDoNot()
    {
        WindowsAcl.Rule[] rules =
        [
            new(Owner, true, true), new(Users, true, true), new(Everyone, true, true),
            new("S-1-5-32-546", false, true), // a deny rule only takes away
            new("S-1-5-11", true, false),      // e.g. read attributes only
        ];

        Assert.Equal([Users, Everyone], WindowsAcl.Strangers(rules, [Owner]));
        Assert.Equal([Owner, WindowsAcl.LocalSystem, WindowsAcl.Administrators], WindowsAcl.Trusted(Owner));
    }

    [Fact]
    public void WindowsAcl_AServiceReadingItsOwnSecret_TrustsItsServiceSid_ButNotAnotherServices()
    {
        const string ownSid = "S-1-5-80-1111111111-2222222222-3333333333-4444444444-5555555555";
        const string otherSid = "S-1-5-80-9999999999-2222222222-3333333333-4444444444-5555555555";
        WindowsAcl.Rule[] rules = [new(ownSid, true, true), new(otherSid, true, true), new(WindowsAcl.Administrators, true, true)];

        Assert.Equal([otherSid], WindowsAcl.Strangers(rules, ["S-1-5-19", ownSid]));
        Assert.True(WindowsAcl.IsServiceSid(ownSid));
        Assert.False(WindowsAcl.IsServiceSid("S-1-5-19"));
    }

    [Fact]
    public void WindowsFix_NamesTheIcaclsCommand_InheritingOnlyForDirectories()
    {
        var protection = new WindowsFileProtection();

        Assert.Equal($"icacls \"C:\\ProgramData\\tunnelactors\\cert.pem\" /inheritance:r /grant:r \"{Environment.UserName}\":F SYSTEM:F Administrators:F",
            protection.Fix(@"C:\ProgramData\tunnelactors\cert.pem", directory: false));
        Assert.Contains($"\"{Environment.UserName}\":(OI)(CI)F", protection.Fix(@"C:\ProgramData\tunnelactors", directory: true));
        Assert.Throws<PlatformNotSupportedException>(() => protection.Exposure("/tmp")); // the ACL calls themselves are Windows-only
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Unix_ADirectoryOpenToOthers_IsReportedThenClosedTo0700()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));

        Assert.Equal("mode 0755: open to other users", SecretDirectory.Ensure(dir));
        Assert.Equal((UnixFileMode)Convert.ToInt32("700", 8), File.GetUnixFileMode(dir));
        Assert.Null(SecretDirectory.Ensure(dir));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Unix_ASecretReadableByOthers_StopsWithTheChmodFix()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "key.pem");
        File.WriteAllText(path, "key");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));

        var refused = Assert.Throws<InsecureSecretException>(() => SecretDirectory.CheckPrivate(path));

        Assert.Contains("mode 0644", refused.Message);
        Assert.Contains($"chmod 600 {path}", refused.Message);
    }
}
