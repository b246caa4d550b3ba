using System.Globalization;

namespace TunnelActors.Cli.Commands;

/// <summary>Durations as cloudflared writes them: 30s, 500ms, 2m, 1h (or a bare number of seconds).</summary>
public static class Durations
{
    public static TimeSpan Parse(string text)
    {
        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ => (text, 1),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? TimeSpan.FromSeconds(value * scale)
            : throw new ArgumentException($"'{text}' is not a duration (examples: 30s, 500ms, 2m)");
    }
}
