using System.Globalization;
using System.Text;

namespace Platform.Specs.Nemesis;

/// <summary>What the checker found: the anomalies by kind (empty when the run was correct) and the figures.</summary>
public sealed record NemesisReport(
    IReadOnlyList<Fault> Faults,
    long Acknowledged,
    long Stored,
    long Consumed,
    long Commits,
    IReadOnlyList<string> Lost,
    IReadOnlyList<string> Duplicated,
    IReadOnlyList<string> Gaps,
    IReadOnlyList<string> Reordered,
    IReadOnlyList<string> OffsetsHandedOutTwice,
    IReadOnlyList<string> CommitsWentBack,
    IReadOnlyList<string> ReadBelowCommitted,
    IReadOnlyDictionary<int, double> LongestUnavailability,
    IReadOnlyList<(Fault Kill, double Failover)> Failovers,
    IReadOnlyList<(Fault Fault, double Pause)> Pauses)
{
    public IEnumerable<string> Anomalies =>
        Lost.Concat(Duplicated).Concat(Gaps).Concat(Reordered).Concat(OffsetsHandedOutTwice).Concat(CommitsWentBack).Concat(ReadBelowCommitted);

    public string Render(IEnumerable<string>? notes = null)
    {
        var text = new StringBuilder();
        string F(double value) => value.ToString("N1", CultureInfo.InvariantCulture);
        text.AppendLine($"faults: {Faults.Count} ({string.Join(", ", Faults.GroupBy(f => f.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))})");
        foreach (var (fault, pause) in Pauses)
            text.AppendLine($"  {F(fault.Start)}-{F(fault.End)} s {fault.Kind} {fault.Target}: longest pause of a partition's acknowledgements {F(pause)} s");
        text.AppendLine($"records: {Acknowledged} acknowledged, {Stored} in the log, {Consumed} consumed by the group, {Commits} commits acknowledged");
        text.AppendLine($"lost {Lost.Count}, duplicated {Duplicated.Count}, offset gaps {Gaps.Count}, reordered {Reordered.Count}, " +
                        $"offsets handed out twice {OffsetsHandedOutTwice.Count}, commits gone back {CommitsWentBack.Count}, read below a commit {ReadBelowCommitted.Count}");
        // The first few of each kind: one kind by the thousand must not hide the others.
        foreach (var kind in new[] { Lost, Duplicated, Gaps, Reordered, OffsetsHandedOutTwice, CommitsWentBack, ReadBelowCommitted })
            foreach (var anomaly in kind.Take(10)) text.AppendLine($"  ANOMALY {anomaly}");
        text.AppendLine("longest unavailability per partition (s): " +
                        string.Join(", ", LongestUnavailability.OrderBy(p => p.Key).Select(p => $"{p.Key}: {F(p.Value)}")));
        if (Failovers.Count > 0)
        {
            var sorted = Failovers.Select(f => f.Failover).Order().ToList();
            text.AppendLine($"failover after kill -9 (kill to every partition acknowledging again): {Failovers.Count} kills, " +
                            $"median {F(sorted[sorted.Count / 2])} s, worst {F(sorted[^1])} s ({string.Join(", ", Failovers.Select(f => F(f.Failover)))})");
        }
        foreach (var kind in Pauses.GroupBy(p => p.Fault.Kind).OrderBy(g => g.Key))
        {
            var sorted = kind.Select(p => p.Pause).Order().ToList();
            text.AppendLine($"pause per {kind.Key}: {sorted.Count} times, median {F(sorted[sorted.Count / 2])} s, worst {F(sorted[^1])} s");
        }
        foreach (var note in notes ?? []) text.AppendLine($"note: {note}");
        return text.ToString();
    }
}

/// <summary>
/// Reads a whole nemesis history and the final log and proves (or refutes) what a Kafka-style log promises:
/// every acknowledged record present exactly once at the offset it was acknowledged with; offsets dense per
/// partition; per-key order kept (each key is produced by one producer, counting up); no offset handed out to
/// two records; acknowledged commits never go back; and no consumer starts a partition below an offset whose
/// commit had been acknowledged before the partition was assigned to it. Pure: specs feed it made-up histories.
/// </summary>
public static class HistoryChecker
{
    public static NemesisReport Check(NemesisHistory history, IReadOnlyList<Stored> log, int partitions)
    {
        var acknowledged = history.Acknowledgements.ToList();
        var lost = new List<string>();
        var duplicated = new List<string>();
        var gaps = new List<string>();
        var reordered = new List<string>();
        var twice = new List<string>();
        var wentBack = new List<string>();
        var belowCommitted = new List<string>();

        var at = new Dictionary<(int, long), KeyedValue>();
        foreach (var record in log)
            if (!at.TryAdd((record.Partition, record.Offset), record.Value))
                duplicated.Add($"offset {record.Partition}:{record.Offset} read twice from the log ({at[(record.Partition, record.Offset)]}, {record.Value})");
        foreach (var copies in log.GroupBy(r => r.Value).Where(g => g.Count() > 1))
            duplicated.Add($"{copies.Key} stored {copies.Count()} times, at {string.Join(", ", copies.Select(c => $"{c.Partition}:{c.Offset}"))}");

        foreach (var ack in acknowledged)
        {
            if (!at.TryGetValue((ack.Partition, ack.Offset), out var stored))
                lost.Add($"{ack.Value} acknowledged at {ack.Partition}:{ack.Offset} ({ack.At:N1} s) is not in the log");
            else if (stored != ack.Value)
                lost.Add($"{ack.Value} acknowledged at {ack.Partition}:{ack.Offset} ({ack.At:N1} s), the log has {stored} there");
        }
        foreach (var offset in acknowledged.GroupBy(a => (a.Partition, a.Offset)).Where(g => g.Select(a => a.Value).Distinct().Count() > 1))
            twice.Add($"offset {offset.Key.Partition}:{offset.Key.Offset} acknowledged for {string.Join(" and ", offset.Select(a => a.Value).Distinct())}");

        foreach (var partition in log.GroupBy(r => r.Partition))
        {
            var offsets = partition.Select(r => r.Offset).Distinct().Order().ToList();
            for (var i = 0; i < offsets.Count; i++)
                if (offsets[i] != i)
                {
                    gaps.Add($"partition {partition.Key}: offset {i} missing (next present {offsets[i]})");
                    break;
                }
        }

        foreach (var key in log.GroupBy(r => r.Value.Key))
        {
            var inOrder = key.OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
            if (inOrder.Select(r => r.Partition).Distinct().Count() > 1)
                reordered.Add($"key {key.Key} stored in several partitions");
            for (var i = 1; i < inOrder.Count; i++)
                if (inOrder[i].Value.Counter <= inOrder[i - 1].Value.Counter)
                    reordered.Add($"key {key.Key}: {inOrder[i].Value} at {inOrder[i].Partition}:{inOrder[i].Offset} after {inOrder[i - 1].Value} at offset {inOrder[i - 1].Offset}");
        }

        // A commit went back when it is below one whose acknowledgement arrived before it was even sent.
        var commits = history.Commits.ToList();
        foreach (var partition in commits.GroupBy(c => c.Partition))
        {
            var byCompletion = partition.OrderBy(c => c.At).ToList();
            foreach (var commit in byCompletion)
            {
                var earlier = byCompletion.Where(c => c.At < commit.SentAt).MaxBy(c => c.Offset);
                if (earlier is not null && commit.Offset < earlier.Offset)
                    wentBack.Add($"partition {partition.Key}: {commit.Consumer} committed {commit.Offset} at {commit.At:N1} s after {earlier.Consumer}'s {earlier.Offset} was acknowledged at {earlier.At:N1} s");
            }
        }
        foreach (var first in history.Assignments)
        {
            var committed = commits.Where(c => c.Partition == first.Partition && c.At < first.AssignedAt).MaxBy(c => c.Offset);
            if (committed is not null && first.Offset < committed.Offset)
                belowCommitted.Add($"{first.Consumer} read {first.Partition}:{first.Offset} first after its assignment at {first.AssignedAt:N1} s, below {committed.Offset} committed at {committed.At:N1} s");
        }

        // Unavailability: the longest time a partition went without an acknowledgement while the workload ran.
        var longest = new Dictionary<int, double>();
        var byPartition = acknowledged.GroupBy(a => a.Partition).ToDictionary(g => g.Key, g => g.Select(a => a.At).Order().ToList());
        for (var p = 0; p < partitions; p++)
        {
            var times = byPartition.GetValueOrDefault(p) ?? [];
            longest[p] = times.Count < 2 ? double.NaN : times.Zip(times.Skip(1), (a, b) => b - a).Max();
        }
        // Failover: from a kill -9 to the moment every partition has acknowledged a record again.
        var failovers = new List<(Fault, double)>();
        foreach (var kill in history.Faults.Where(f => f.Kind == "kill"))
        {
            var firstAfter = byPartition.Values.Select(times => times.FirstOrDefault(t => t > kill.Start, double.NaN)).ToList();
            if (firstAfter.All(t => !double.IsNaN(t))) failovers.Add((kill, firstAfter.Max() - kill.Start));
        }

        // The pause a fault caused: the longest gap of any partition's acknowledgements from the fault's start
        // to the next fault's (the recovery included), clipped to that window.
        var faults = history.Faults.OrderBy(f => f.Start).ToList();
        var pauses = new List<(Fault, double)>();
        for (var i = 0; i < faults.Count; i++)
        {
            var (from, to) = (faults[i].Start, i + 1 < faults.Count ? faults[i + 1].Start : double.MaxValue);
            var pause = byPartition.Values.SelectMany(times => times.Zip(times.Skip(1), (a, b) => (a, b)))
                .Where(g => g.b >= from && g.a < to).Select(g => Math.Min(g.b, to) - Math.Max(g.a, from)).DefaultIfEmpty(0).Max();
            pauses.Add((faults[i], pause));
        }

        return new NemesisReport(faults, acknowledged.Count, log.Count, history.Consumed, commits.Count,
            lost, duplicated, gaps, reordered, twice, wentBack, belowCommitted, longest, failovers, pauses);
    }
}
