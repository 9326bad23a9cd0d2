namespace Platform.Actors.Metrics;

/// <summary>
/// What the node's actors said at the last scrape: the partitions it hosts (with offsets when per-partition series
/// are on) and the consumer groups whose coordinators it hosts. Each node reports only what it hosts, so summing
/// over nodes never counts a partition or a group twice.
/// </summary>
/// <param name="PartitionSeries">False when the node hosts more partitions than per-partition series are allowed for.</param>
internal sealed record BrokerSample(int HostedPartitions, bool PartitionSeries, IReadOnlyList<PartitionSample> Partitions, IReadOnlyList<GroupSample> Groups)
{
    public static readonly BrokerSample Empty = new(0, true, [], []);
}

/// <summary>A hosted partition's offsets (Kafka's LogStartOffset, LogEndOffset as the high watermark) and size.</summary>
internal sealed record PartitionSample(string Topic, int Partition, long LogStartOffset, long LogEndOffset, long SizeBytes);

/// <summary>A hosted group: its members, and its lag (log end offset minus committed offset) per partition and in total.</summary>
/// <param name="Lag">Per partition; empty when per-partition series are off.</param>
internal sealed record GroupSample(string GroupId, string State, int Members, IReadOnlyList<LagSample> Lag, long LagSum);

internal sealed record LagSample(string Topic, int Partition, long Lag);
