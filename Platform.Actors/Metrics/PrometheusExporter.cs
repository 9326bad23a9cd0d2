using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Platform.Actors.Metrics;

/// <summary>
/// Renders a node's System.Diagnostics.Metrics instruments (its <see cref="BrokerMetrics"/> meter and .NET's
/// built-in "System.Runtime" meter) in Prometheus' text exposition format, through a <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// Our own exporter rather than OpenTelemetry's or prometheus-net: OpenTelemetry's Prometheus exporter for
/// ASP.NET Core is published only as prerelease, prometheus-net brings a second metrics API, and what we need
/// (counters, gauges, histograms with fixed buckets, the text format) is a page of code over the BCL, with no
/// package to vet and cardinality under our control. Instruments stay plain System.Diagnostics.Metrics, so
/// moving to OpenTelemetry later changes this class only.
/// </remarks>
internal sealed class PrometheusExporter : IDisposable
{
    private const string RuntimeMeter = "System.Runtime";
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, Series>> _recorded = new();
    // Observable instruments report whole values when asked; they are kept per scrape only, so a series that
    // is no longer reported (a partition that moved away) disappears.
    private readonly Dictionary<Instrument, Dictionary<string, double>> _observed = new();
    private readonly Lock _scrape = new();

    public PrometheusExporter(Meter own)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == own || instrument.Meter.Name == RuntimeMeter) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Every enabled instrument's series, as the body of a GET /metrics.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            _observed.Clear();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            var instruments = _recorded.Keys.Concat(_observed.Keys).Distinct()
                .Select(i => (Instrument: i, Name: PrometheusName(i)))
                .OrderBy(x => x.Name, StringComparer.Ordinal);
            foreach (var (instrument, name) in instruments) Render(text, instrument, name);
            return text.ToString();
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = CachedLabels(tags);
        if (instrument.IsObservable)
        {
            // Only called from RecordObservableInstruments, under the scrape lock.
            if (!_observed.TryGetValue(instrument, out var values)) _observed[instrument] = values = new Dictionary<string, double>();
            values[labels] = value;
            return;
        }
        var series = _recorded.GetOrAdd(instrument, static _ => new ConcurrentDictionary<string, Series>())
            .GetOrAdd(labels, static (_, i) => new Series(Kind(i) == "histogram" ? Buckets(i) : null), instrument);
        series.Add(value);
    }

    /// <summary>
    /// The label text of one or two tags, rendered once per distinct set of tags: a measurement is recorded on every
    /// request, and rendering it each time (an array, a sort, a StringBuilder and the escapes) made the metrics a tenth of
    /// what a node allocated per request (issue #16). Bounded: past <see cref="MaxLabelSets"/> sets it starts over.
    /// </summary>
    private string CachedLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        if (tags.Length > 2) return Labels(tags);
        var key = (tags[0].Key, tags[0].Value, tags.Length == 2 ? tags[1].Key : null, tags.Length == 2 ? tags[1].Value : null);
        if (_labels.TryGetValue(key, out var labels)) return labels;
        if (_labels.Count >= MaxLabelSets) _labels.Clear();
        return _labels[key] = Labels(tags);
    }

    private const int MaxLabelSets = 10_000;

    private readonly ConcurrentDictionary<(string, object?, string?, object?), string> _labels = new();

    private void Render(StringBuilder text, Instrument instrument, string name)
    {
        var kind = Kind(instrument);
        text.Append("# HELP ").Append(name).Append(' ').Append(Escape(instrument.Description ?? instrument.Name, help: true)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(kind).Append('\n');
        if (_observed.TryGetValue(instrument, out var observed))
            foreach (var (labels, value) in observed.OrderBy(o => o.Key, StringComparer.Ordinal)) Line(text, name, labels, value);
        if (!_recorded.TryGetValue(instrument, out var recorded)) return;
        foreach (var (labels, series) in recorded.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var (sum, count, buckets) = series.Read();
            if (buckets is null)
            {
                Line(text, name, labels, sum);
                continue;
            }
            var bounds = series.Bounds!;
            long cumulative = 0;
            for (var b = 0; b < bounds.Length; b++)
            {
                cumulative += buckets[b];
                Line(text, name + "_bucket", With(labels, "le", Number(bounds[b])), cumulative);
            }
            Line(text, name + "_bucket", With(labels, "le", "+Inf"), count);
            Line(text, name + "_sum", labels, sum);
            Line(text, name + "_count", labels, count);
        }
    }

    private static void Line(StringBuilder text, string name, string labels, double value)
    {
        text.Append(name);
        if (labels.Length > 0) text.Append('{').Append(labels).Append('}');
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string With(string labels, string key, string value) =>
        (labels.Length > 0 ? labels + "," : "") + key + "=\"" + value + "\"";

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>counter for monotonic instruments, histogram for histograms, gauge for everything else.</summary>
    private static string Kind(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>)) return "counter";
        return definition == typeof(Histogram<>) ? "histogram" : "gauge";
    }

    private static double[] Buckets(Instrument instrument) =>
        instrument switch
        {
            Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => bounds.ToArray(),
            Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => bounds.Select(b => (double)b).ToArray(),
            _ => DefaultBuckets,
        };

    /// <summary>Dots become underscores, the unit is appended (bytes, seconds), and counters end in _total.</summary>
    private static string PrometheusName(Instrument instrument)
    {
        var name = new StringBuilder(instrument.Name.Length + 16);
        foreach (var c in instrument.Name) name.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        var unit = instrument.Unit switch
        {
            "By" => "_bytes",
            "s" => "_seconds",
            _ => "",
        };
        if (unit.Length > 0 && !name.ToString().EndsWith(unit, StringComparison.Ordinal)) name.Append(unit);
        if (Kind(instrument) == "counter" && !name.ToString().EndsWith("_total", StringComparison.Ordinal)) name.Append("_total");
        return name.ToString();
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var sorted = tags.ToArray();
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            if (text.Length > 0) text.Append(',');
            foreach (var c in key) text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
            text.Append("=\"").Append(Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "", help: false)).Append('"');
        }
        return text.ToString();
    }

    private static string Escape(string value, bool help)
    {
        var escaped = value.Replace("\\", "\\\\").Replace("\n", "\\n");
        return help ? escaped : escaped.Replace("\"", "\\\"");
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One series of a counter, up-down counter or histogram: its sum, count and bucket counts.</summary>
    private sealed class Series(double[]? bounds)
    {
        private readonly long[]? _buckets = bounds is null ? null : new long[bounds.Length];
        private readonly Lock _gate = new();
        private double _sum;
        private long _count;

        public double[]? Bounds => bounds;

        public void Add(double value)
        {
            lock (_gate)
            {
                _sum += value;
                _count++;
                if (_buckets is null) return;
                var bucket = Array.FindIndex(bounds!, bound => value <= bound);
                if (bucket >= 0) _buckets[bucket]++;
            }
        }

        public (double Sum, long Count, long[]? Buckets) Read()
        {
            lock (_gate) return (_sum, _count, _buckets?.ToArray());
        }
    }
}
