using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.Specs.Nemesis;

/// <summary>A record of the workload: key and the key's counter (each key counts 0, 1, 2, ... as it is produced).</summary>
public readonly record struct KeyedValue(string Key, long Counter)
{
    public override string ToString() => $"{Key}={Counter}";
}

/// <summary>A produce the cluster acknowledged, with the offset it answered and when (seconds since the run began).</summary>
public sealed record Acknowledged(KeyedValue Value, int Partition, long Offset, double At);

/// <summary>A commit the cluster acknowledged: <paramref name="Offset"/> is the next offset to read, as in Kafka.</summary>
public sealed record CommitAcknowledged(string Consumer, int Partition, long Offset, double SentAt, double At);

/// <summary>The first record a consumer received of a partition after it was assigned to it.</summary>
public sealed record FirstAfterAssignment(string Consumer, int Partition, long Offset, double AssignedAt);

/// <summary>A fault the nemesis injected, from its start to its heal.</summary>
public sealed record Fault(string Kind, string Target, double Start, double End);

/// <summary>A record found in the log when the run was over.</summary>
public sealed record Stored(int Partition, long Offset, KeyedValue Value);

/// <summary>
/// Everything a nemesis run observed, recorded as it happened by the workload's tasks (hence the concurrent
/// collections) and read whole by <see cref="HistoryChecker"/> afterwards. Times are seconds on one
/// monotonic clock, so ordering questions ("did this commit complete before that assignment?") are exact.
/// </summary>
public sealed class NemesisHistory
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public double Now => _clock.Elapsed.TotalSeconds;
    public ConcurrentQueue<Acknowledged> Acknowledgements { get; } = new();
    public ConcurrentQueue<KeyedValue> Unacknowledged { get; } = new();
    public ConcurrentQueue<CommitAcknowledged> Commits { get; } = new();
    public ConcurrentQueue<FirstAfterAssignment> Assignments { get; } = new();
    public ConcurrentQueue<Fault> Faults { get; } = new();
    public ConcurrentQueue<string> Notes { get; } = new();
    public long Consumed;
    public long CommitFailures;
}
