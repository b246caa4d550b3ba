using System.Globalization;
using System.Text;

namespace TunnelActors.Transport.Hosting;

/// <summary>Writes the Prometheus text exposition format (version 0.0.4).</summary>
public sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4";

    private readonly StringBuilder _text = new();

    public PrometheusText Counter(string name, string help, long value) => Single(name, "counter", help, value);

    public PrometheusText Gauge(string name, string help, long value) => Single(name, "gauge", help, value);

    /// <summary>One metric with a label, e.g. errors by reason.</summary>
    public PrometheusText Labelled(string name, string type, string help, string label, IEnumerable<KeyValuePair<string, long>> values)
    {
        Header(name, type, help);
        foreach (var (key, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
            _text.Append(CultureInfo.InvariantCulture, $"{name}{{{label}=\"{Escape(key)}\"}} {value}\n");
        return this;
    }

    /// <summary>A cumulative histogram: <paramref name="counts"/>[i] observations at most <paramref name="bounds"/>[i], the last one +Inf.</summary>
    public PrometheusText Histogram(string name, string help, double[] bounds, long[] counts, double sum)
    {
        Header(name, "histogram", help);
        long cumulative = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            cumulative += counts[i];
            var le = i < bounds.Length ? bounds[i].ToString(CultureInfo.InvariantCulture) : "+Inf";
            _text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{le=\"{le}\"}} {cumulative}\n");
        }
        _text.Append(CultureInfo.InvariantCulture, $"{name}_sum {sum}\n{name}_count {cumulative}\n");
        return this;
    }

    public override string ToString() => _text.ToString();

    private PrometheusText Single(string name, string type, string help, long value)
    {
        Header(name, type, help);
        _text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
        return this;
    }

    private void Header(string name, string type, string help) => _text.Append($"# HELP {name} {help}\n# TYPE {name} {type}\n");

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
