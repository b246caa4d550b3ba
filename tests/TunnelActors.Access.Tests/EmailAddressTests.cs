using TunnelActors.Access.Login;
using TunnelActors.Access.Policies;

namespace TunnelActors.Access.Tests;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("alice@example.com", "alice@example.com")]
    [InlineData("  Alice@Example.COM ", "alice@example.com")]
    [InlineData("first.last+tag@sub.example.com", "first.last+tag@sub.example.com")]
    public void Normalize_SinglePlainAddress_IsTrimmedAndLowerCased(string input, string expected)
    {
        Assert.Equal(expected, EmailAddress.Normalize(input, out _));
    }

    [Theory]
    [InlineData("attacker@evil.test,nobody@example.com")]   // a list: the mailer would send to both
    [InlineData("attacker@evil.test;nobody@example.com")]
    [InlineData("Mallory <attacker@evil.test>")]            // a display name
    [InlineData("<attacker@evil.test>")]
    [InlineData("attacker@evil.test (nobody@example.com)")] // a comment
    [InlineData("\"nobody@example.com\"@evil.test")]        // a quoted local part hiding an @
    [InlineData("attacker@evil.test nobody@example.com")]
    [InlineData("attacker@evil.test\nnobody@example.com")]
    [InlineData("nobody@example.com@evil.test")]
    [InlineData("nobody@[127.0.0.1]")]
    [InlineData("@example.com")]
    [InlineData("nobody@")]
    [InlineData("nobody")]
    [InlineData("nobody@localhost")]
    [InlineData("nobody@example..com")]
    [InlineData("\u212Aelvin@example.com")]                 // the Kelvin sign lower-cases to k: would alias kelvin@example.com
    [InlineData("nobody@exämple.com")]
    [InlineData("")]
    public void Normalize_AnythingButOneAddress_IsRefusedWithAReason(string input)
    {
        Assert.Null(EmailAddress.Normalize(input, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Normalize_TooLong_IsRefused()
    {
        Assert.Null(EmailAddress.Normalize(new string('a', 65) + "@example.com", out var local));
        Assert.Contains("64", local);
        Assert.Null(EmailAddress.Normalize("a@" + new string('b', 250) + ".com", out var whole));
        Assert.Contains("254", whole);
    }

    [Theory]
    [InlineData("attacker@evil.test,nobody@example.com")]
    [InlineData("\"x@evil.test\"@example.com")]
    [InlineData("Mallory <nobody@example.com>")]
    public void Policy_EmailDomainRule_NeverMatchesAListOrQuotedForm(string email)
    {
        var rule = new EmailDomainRule(new HashSet<string> { "example.com" });
        var exact = new EmailRule(new HashSet<string> { "nobody@example.com" });

        Assert.False(rule.Matches(new AccessRequest(System.Net.IPAddress.Loopback, email)));
        Assert.False(exact.Matches(new AccessRequest(System.Net.IPAddress.Loopback, email)));
        Assert.True(rule.Matches(new AccessRequest(System.Net.IPAddress.Loopback, "nobody@example.com")));
    }
}
