using System.Globalization;

namespace Platform.Specs.Nemesis;

/// <summary>
/// Where a kill's failover time goes, step by step: read from the survivors' logs (Akka's own lines, stamped by
/// the node's logger) and from the producers' acknowledgements. Why: the failover figure alone says how long,
/// not which part (detection, the split-brain resolver, removal, the singletons' move, the partitions' first
/// acknowledgements) to attack.
/// </summary>
public static class FailoverTimeline
{
    /// <summary>The steps, each the first survivor's log line that contains the text.</summary>
    private static readonly (string Step, string Text)[] Steps =
    [
        ("unreachable", "Marking node(s) as UNREACHABLE"),
        ("SBR down", "SBR is downing"),
        ("removed", "Leader is removing"),
        ("singleton started", "Singleton manager started singleton actor"),
    ];

    /// <summary>
    /// One line: seconds after the kill at which each step was first seen, and each partition's first
    /// acknowledgement after it (the partitions' order of recovery as the producers saw it).
    /// </summary>
    /// <param name="killedAt">The kill as wall-clock time (the logs' stamps).</param>
    /// <param name="killedAtRun">The kill in the history's seconds since the run began.</param>
    /// <param name="survivorLogs">What the surviving nodes have logged so far.</param>
    public static string Render(string target, DateTime killedAt, double killedAtRun, IEnumerable<string> survivorLogs,
        IEnumerable<Acknowledged> acknowledgements)
    {
        var seen = new Dictionary<string, double>();
        foreach (var line in survivorLogs.SelectMany(l => l.Split('\n')))
        {
            if (line.Length < 24 || !DateTime.TryParseExact(line[..24], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) || at < killedAt) continue;
            foreach (var (step, text) in Steps)
            {
                var after = (at - killedAt).TotalSeconds;
                if (line.Contains(text, StringComparison.Ordinal) && (!seen.TryGetValue(step, out var first) || after < first)) seen[step] = after;
            }
        }
        var firstAcks = acknowledgements.Where(a => a.At > killedAtRun).GroupBy(a => a.Partition)
            .Select(g => (Partition: g.Key, After: g.Min(a => a.At) - killedAtRun)).OrderBy(p => p.After).ToList();
        var steps = Steps.Where(s => seen.ContainsKey(s.Step)).Select(s => $"{s.Step} +{seen[s.Step]:N2} s");
        var acks = firstAcks.Select(p => $"p{p.Partition} +{p.After:N2}");
        return string.Create(CultureInfo.InvariantCulture,
            $"kill {target} timeline: {string.Join(", ", steps)}; first acknowledgement per partition: {string.Join(" ", acks)} s");
    }
}
