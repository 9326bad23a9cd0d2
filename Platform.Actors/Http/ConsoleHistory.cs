namespace Platform.Actors.Http;

/// <summary>
/// The web console's short memory: per topic the sum of its partitions' log end offsets, per group its total
/// lag, one value per sample. Bounded twice: <c>capacity</c> samples per series (the oldest drop off) and
/// <c>maxSeries</c> series per kind (the first by name); a topic or group missing from a sample is forgotten.
/// Kept in the node's memory only: a restart starts the charts afresh, which an operator's Prometheus covers.
/// </summary>
internal sealed class ConsoleHistory(int capacity, int maxSeries)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<Point>> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<Point>> _groups = new(StringComparer.Ordinal);

    public int MaxSeries => maxSeries;

    /// <summary>One sample: each topic's summed log end offsets and each group's total lag at <paramref name="at"/>.</summary>
    public void Record(DateTimeOffset at, IReadOnlyDictionary<string, long> topicEnds, IReadOnlyDictionary<string, long> groupLags)
    {
        lock (_gate)
        {
            Apply(_topics, at, topicEnds);
            Apply(_groups, at, groupLags);
        }
    }

    /// <summary>Records appended per second between successive samples of a topic, oldest first.</summary>
    public IReadOnlyList<Point> TopicRate(string topic)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var points)) return [];
            var list = points.ToList();
            return list.Zip(list.Skip(1), (a, b) => new Point(b.At,
                (b.At - a.At).TotalSeconds > 0 ? (long)Math.Round(Math.Max(0, b.Value - a.Value) / (b.At - a.At).TotalSeconds) : 0)).ToList();
        }
    }

    /// <summary>A group's total lag per sample, oldest first.</summary>
    public IReadOnlyList<Point> GroupLag(string group)
    {
        lock (_gate) return _groups.TryGetValue(group, out var points) ? points.ToList() : [];
    }

    private void Apply(Dictionary<string, Queue<Point>> series, DateTimeOffset at, IReadOnlyDictionary<string, long> values)
    {
        foreach (var gone in series.Keys.Where(k => !values.ContainsKey(k)).ToList()) series.Remove(gone);
        foreach (var (name, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!series.TryGetValue(name, out var points))
            {
                if (series.Count >= maxSeries) continue;
                series[name] = points = new Queue<Point>(capacity);
            }
            if (points.Count == capacity) points.Dequeue();
            points.Enqueue(new Point(at, value));
        }
    }

    internal readonly record struct Point(DateTimeOffset At, long Value);
}
