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

/// <summary>
/// A consumed record. Its key and value are slices of the fetched response (<see cref="KeyMemory"/>,
/// <see cref="ValueMemory"/>): the consumer copies a fetch once, off the socket, not once more per partition and
/// per record. <see cref="Key"/> and <see cref="Value"/> copy their slice into an array of their own on first use,
/// for code that wants arrays; code that reads the memory copies nothing. Equality compares the bytes.
/// </summary>
public sealed record ConsumeResult
{
    private byte[]? _key;
    private byte[]? _value;

    public ConsumeResult(string Topic, int Partition, long Offset, byte[]? Key, byte[]? Value, IReadOnlyList<Header> Headers, DateTimeOffset Timestamp)
        : this(Topic, Partition, Offset, AsMemory(Key), AsMemory(Value), Headers, Timestamp)
    {
        _key = Key;
        _value = Value;
    }

    /// <summary>A record whose key and value stay where they were fetched.</summary>
    internal ConsumeResult(string topic, int partition, long offset, ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value, IReadOnlyList<Header> headers,
        DateTimeOffset timestamp)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        KeyMemory = key;
        ValueMemory = value;
        Headers = headers;
        Timestamp = timestamp;
    }

    public string Topic { get; init; }

    public int Partition { get; init; }

    public long Offset { get; init; }

    /// <summary>The key's bytes where they were fetched; null when the record has no key (not the same as empty).</summary>
    public ReadOnlyMemory<byte>? KeyMemory { get; }

    /// <summary>The value's bytes where they were fetched; null for a null value (a tombstone), not the same as empty.</summary>
    public ReadOnlyMemory<byte>? ValueMemory { get; }

    /// <summary>The key as an array of its own, copied from <see cref="KeyMemory"/> on first use.</summary>
    public byte[]? Key => _key ??= KeyMemory?.ToArray();

    /// <summary>The value as an array of its own, copied from <see cref="ValueMemory"/> on first use.</summary>
    public byte[]? Value => _value ??= ValueMemory?.ToArray();

    public IReadOnlyList<Header> Headers { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public bool Equals(ConsumeResult? other) =>
        other is not null && Topic == other.Topic && Partition == other.Partition && Offset == other.Offset && Timestamp == other.Timestamp &&
        SameBytes(KeyMemory, other.KeyMemory) && SameBytes(ValueMemory, other.ValueMemory) && Headers.SequenceEqual(other.Headers);

    public override int GetHashCode() => HashCode.Combine(Topic, Partition, Offset);

    // Typed null: a bare null would convert to an empty ReadOnlyMemory through its implicit conversion from an array.
    private static ReadOnlyMemory<byte>? AsMemory(byte[]? bytes) => bytes is null ? (ReadOnlyMemory<byte>?)null : bytes;

    private static bool SameBytes(ReadOnlyMemory<byte>? a, ReadOnlyMemory<byte>? b) =>
        a is null ? b is null : b is not null && a.Value.Span.SequenceEqual(b.Value.Span);
}

/// <summary>What to do for a partition without a position (Kafka's auto.offset.reset).</summary>
public enum AutoOffsetReset
{
    Earliest,
    Latest,
    /// <summary>Fail with OffsetOutOfRange rather than guess.</summary>
    None,
}
