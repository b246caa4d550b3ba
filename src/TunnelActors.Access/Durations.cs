using System.Globalization;

namespace TunnelActors.Access;

/// <summary>Durations as cloudflared writes them: 500ms, 30s, 15m, 24h, 7d (a bare number is seconds).</summary>
public static class Durations
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        text = text.Trim();
        var (number, seconds) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1d),
            _ when text.EndsWith('m') => (text[..^1], 60d),
            _ when text.EndsWith('h') => (text[..^1], 3600d),
            _ when text.EndsWith('d') => (text[..^1], 86400d),
            _ => (text, 1d),
        };
        var ok = double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0;
        duration = ok ? TimeSpan.FromSeconds(value * seconds) : default;
        return ok;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var duration) ? duration : throw new ArgumentException($"'{text}' is not a duration (examples: 500ms, 30s, 2m, 24h)");
}
