using System.Diagnostics.Metrics;

namespace TunnelActors.Edge.Tests;

/// <summary>Reads one instrument of one meter now, as the exporter would at a scrape: its values by their tags ("" when untagged).</summary>
public static class MeterReading
{
    public static IReadOnlyDictionary<string, long> Read(Meter meter, string instrument)
    {
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (ReferenceEquals(i.Meter, meter) && i.Name == instrument) l.EnableMeasurementEvents(i); },
        };
        void Add(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            values[key] = values.GetValueOrDefault(key) + value;
        }
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Add(value, tags));
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) => Add(value, tags));
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
