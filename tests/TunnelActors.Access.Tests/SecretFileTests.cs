using TunnelActors.Access.ServiceTokens;

namespace TunnelActors.Access.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretFileTests
{
    [Fact]
    public void Write_NewOrExistingFile_IsOwnerReadWriteOnly()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "token.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        SecretFile.Write(path, "secret");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal("secret", File.ReadAllText(path));
    }

    [Fact]
    public void ServiceToken_ToString_HidesSecret()
    {
        var token = ServiceToken.Generate();

        Assert.DoesNotContain(token.ClientSecret, token.ToString());
    }

    [Fact]
    public void ServiceToken_SecretMatches_OnlyExactSecret()
    {
        var hash = ServiceToken.HashSecret("right");

        Assert.True(ServiceToken.SecretMatches("right", hash));
        Assert.False(ServiceToken.SecretMatches("Right", hash));
        Assert.False(ServiceToken.SecretMatches("", hash));
    }
}
