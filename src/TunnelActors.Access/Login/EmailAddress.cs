using System.Net.Mail;

namespace TunnelActors.Access.Login;

/// <summary>
/// The one rule for what counts as a sign-in address, for the PIN form and the OIDC `email`
/// claim alike: exactly one plain <c>local@domain</c> — no display name, no list, no comments,
/// no quotes, no whitespace, ASCII only — within RFC 5321's lengths, lower-cased (Access compares
/// identities without regard to case, as Cloudflare Access does). The
/// normalised value is what policies evaluate, what is mailed and what the token carries, so a
/// string like <c>attacker@evil.test,victim@example.com</c> can never mean two things at once.
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;
    public const int MaxLocalPart = 64;

    /// <summary>The normalised address, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static string? Normalize(string? input, out string error)
    {
        error = "";
        var text = input?.Trim() ?? "";
        if (text.Length == 0) return Fail(out error, "enter an email address");
        if (text.Length > MaxLength) return Fail(out error, $"an email address has at most {MaxLength} characters");
        // Everything that lets one string carry a second address, a name or a comment.
        foreach (var c in text)
            if (!char.IsAscii(c))
                // Case folding of other scripts (the Kelvin sign folds to k) would let two addresses become one identity.
                return Fail(out error, "enter the address in ASCII (internationalised addresses are not supported)");
        foreach (var c in text)
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c is ',' or ';' or '<' or '>' or '(' or ')' or '"' or '\\' or '[' or ']' or ':')
                return Fail(out error, "enter a single email address, without a name, list or comment");
        var at = text.IndexOf('@');
        if (at <= 0 || at != text.LastIndexOf('@') || at == text.Length - 1) return Fail(out error, "enter a single email address (name@domain)");
        text = text.ToLowerInvariant();
        var (local, domain) = (text[..at], text[(at + 1)..]);
        if (local.Length > MaxLocalPart) return Fail(out error, $"the part before @ has at most {MaxLocalPart} characters");
        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains(".."))
            return Fail(out error, "the domain of the email address is not valid");
        var normalized = $"{local}@{domain}";
        // MailAddress is what sends the PIN: it must read the same single address, nothing more.
        if (!MailAddress.TryCreate(normalized, out var parsed) || parsed.DisplayName.Length != 0
            || !string.Equals(parsed.Address, normalized, StringComparison.Ordinal))
            return Fail(out error, "enter a single email address (name@domain)");
        return normalized;
    }

    public static bool IsNormalized(string? email) => email is not null && Normalize(email, out _) == email;

    private static string? Fail(out string error, string message)
    {
        error = message;
        return null;
    }
}
