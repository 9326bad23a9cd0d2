using Platform.Protocol.Records;

namespace Platform.Client;

/// <summary>A record to produce. A null key spreads records over partitions; a keyed record always lands
/// in the partition that Kafka's partitioner picks for the key.</summary>
public sealed record Message(byte[]? Key, byte[]? Value, IReadOnlyList<Header>? Headers = null, DateTimeOffset? Timestamp = null);

/// <summary>Where a produced record was stored, once the node has it in its journal.</summary>
public sealed record DeliveryResult(string Topic, int Partition, long Offset, DateTimeOffset Timestamp);

/// <summary>A position in a partition; <see cref="Offset"/> may be one of the special values.</summary>
public readonly record struct TopicPartitionOffset(string Topic, int Partition, long Offset)
{
    /// <summary>Kafka's OffsetSpec: the first offset still in the log.</summary>
    public const long Beginning = -2;

    /// <summary>Kafka's OffsetSpec: the high watermark (only records produced from now on).</summary>
    public const long End = -1;

    public TopicPartition TopicPartition => new(Topic, Partition);
}

/// <summary>A consumed record.</summary>
public sealed record ConsumeResult(string Topic, int Partition, long Offset, byte[]? Key, byte[]? Value,
    IReadOnlyList<Header> Headers, DateTimeOffset Timestamp)
{
    public TopicPartition TopicPartition => new(Topic, Partition);
}

/// <summary>What to do for a partition without a position (Kafka's auto.offset.reset).</summary>
public enum AutoOffsetReset
{
    Earliest,
    Latest,
    /// <summary>Fail with OffsetOutOfRange rather than guess.</summary>
    None,
}
