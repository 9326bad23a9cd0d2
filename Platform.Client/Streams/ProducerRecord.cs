using System.Text;
using Platform.Protocol.Records;

namespace Platform.Client.Streams;

/// <summary>
/// A record to produce and where to (Kafka's ProducerRecord): a topic, optionally a partition (otherwise
/// Kafka's partitioner picks one from the key), key, value, headers and timestamp. Keys and values are bytes;
/// serialize in a stage before the producer.
/// </summary>
public sealed record ProducerRecord(string Topic, int? Partition, byte[]? Key, byte[]? Value,
    IReadOnlyList<Header>? Headers = null, DateTimeOffset? Timestamp = null)
{
    public ProducerRecord(string topic, byte[]? key, byte[]? value) : this(topic, null, key, value)
    {
    }

    /// <summary>UTF-8 key and value.</summary>
    public ProducerRecord(string topic, string? key, string value)
        : this(topic, null, key is null ? null : Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value))
    {
    }

    internal Message ToMessage() => new(Key, Value, Headers, Timestamp);

    internal int EstimatedSize => (Key?.Length ?? 0) + (Value?.Length ?? 0) + 21 + (Headers?.Sum(h => h.Key.Length + (h.Value?.Length ?? 0) + 4) ?? 0);
}
