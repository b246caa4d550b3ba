using TunnelActors.Transport.Hosting;

namespace TunnelActors.Transport.Tests;

/// <summary>What `service install` runs on Windows: checked here, where no Windows runs.</summary>
public sealed class WindowsServiceRegistrationTests
{
    [Fact]
    public void Register_CreatesAnAutomaticLocalServiceWithItsOwnSid_ThatRestartsOnAnyFailure()
    {
        var calls = WindowsServiceRegistration.Register("tunnelactors-tunnel-smb.site.com", "TunnelActors connector for smb.site.com", "Reaches tcp://localhost:445",
            [@"C:\Program Files\TunnelActors\tunnelactors.exe", "tunnel", "--hostname", "smb.site.com", "--url", "tcp://localhost:445"]);

        Assert.Equal(["create", "tunnelactors-tunnel-smb.site.com", "binPath=",
            "\"C:\\Program Files\\TunnelActors\\tunnelactors.exe\" tunnel --hostname smb.site.com --url tcp://localhost:445",
            "start=", "delayed-auto", "obj=", @"NT AUTHORITY\LocalService", "DisplayName=", "TunnelActors connector for smb.site.com"], calls[0]);
        Assert.Equal(["sidtype", "tunnelactors-tunnel-smb.site.com", "unrestricted"], calls[2]);
        Assert.Equal(["failure", "tunnelactors-tunnel-smb.site.com", "reset=", "86400", "actions=", "restart/5000/restart/5000/restart/30000"], calls[3]);
        Assert.Equal(["failureflag", "tunnelactors-tunnel-smb.site.com", "1"], calls[4]);
        Assert.Equal(["start", "tunnelactors-tunnel-smb.site.com"], WindowsServiceRegistration.Start("tunnelactors-tunnel-smb.site.com"));
        Assert.Equal(@"NT SERVICE\tunnelactors-tunnel-smb.site.com", WindowsServiceRegistration.ServiceAccount("tunnelactors-tunnel-smb.site.com"));
        Assert.Equal([["stop", "x"], ["delete", "x"]], WindowsServiceRegistration.Unregister("x"));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("", "\"\"")]
    [InlineData(@"C:\Program Files\x", "\"C:\\Program Files\\x\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"ends with \", "\"ends with \\\\\"")]
    [InlineData(@"C:\dir\", @"C:\dir\")]
    public void Quote_FollowsCommandLineToArgvW(string arg, string expected) =>
        Assert.Equal(expected, WindowsServiceRegistration.Quote(arg));
}
