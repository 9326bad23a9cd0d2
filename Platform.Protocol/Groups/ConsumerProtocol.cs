using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Platform.Protocol.Groups;

/// <summary>A consumer's subscription as it travels in JoinGroup metadata.</summary>
public sealed record ConsumerSubscription(IReadOnlyList<string> Topics, IReadOnlyList<TopicPartition> OwnedPartitions);

/// <summary>
/// Kafka's "consumer" protocol type encodings (ConsumerProtocolSubscription / ConsumerProtocolAssignment,
/// big-endian, version 1). Native members use the same bytes as Kafka clients, so a group can be driven
/// from the Kafka wire protocol without translation.
/// </summary>
public static class ConsumerProtocol
{
    public const string ProtocolType = "consumer";
    private const short Version = 1;

    public static byte[] EncodeSubscription(ConsumerSubscription subscription)
    {
        var w = new ArrayBufferWriter<byte>();
        Int16(w, Version);
        Int32(w, subscription.Topics.Count);
        foreach (var topic in subscription.Topics) String(w, topic);
        Int32(w, -1); // user data
        WritePartitions(w, subscription.OwnedPartitions);
        return w.WrittenSpan.ToArray();
    }

    public static ConsumerSubscription DecodeSubscription(ReadOnlySpan<byte> data)
    {
        var p = 0;
        var version = ReadInt16(data, ref p);
        var topics = new string[CheckedCount(ReadInt32(data, ref p), data, p)];
        for (var i = 0; i < topics.Length; i++) topics[i] = ReadString(data, ref p);
        SkipBytes(data, ref p);
        var owned = version >= 1 && p < data.Length ? ReadPartitions(data, ref p) : [];
        return new ConsumerSubscription(topics, owned);
    }

    public static byte[] EncodeAssignment(IReadOnlyList<TopicPartition> partitions)
    {
        var w = new ArrayBufferWriter<byte>();
        Int16(w, Version);
        WritePartitions(w, partitions);
        Int32(w, -1); // user data
        return w.WrittenSpan.ToArray();
    }

    public static IReadOnlyList<TopicPartition> DecodeAssignment(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return [];
        var p = 0;
        ReadInt16(data, ref p);
        return ReadPartitions(data, ref p);
    }

    private static void WritePartitions(ArrayBufferWriter<byte> w, IReadOnlyList<TopicPartition> partitions)
    {
        var byTopic = partitions.GroupBy(tp => tp.Topic).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Int32(w, byTopic.Count);
        foreach (var topic in byTopic)
        {
            String(w, topic.Key);
            var list = topic.Select(tp => tp.Partition).Order().ToList();
            Int32(w, list.Count);
            foreach (var partition in list) Int32(w, partition);
        }
    }

    private static List<TopicPartition> ReadPartitions(ReadOnlySpan<byte> data, ref int p)
    {
        var result = new List<TopicPartition>();
        var topics = CheckedCount(ReadInt32(data, ref p), data, p);
        for (var i = 0; i < topics; i++)
        {
            var topic = ReadString(data, ref p);
            var count = CheckedCount(ReadInt32(data, ref p), data, p);
            for (var j = 0; j < count; j++) result.Add(new TopicPartition(topic, ReadInt32(data, ref p)));
        }
        return result;
    }

    private static int CheckedCount(int count, ReadOnlySpan<byte> data, int p) =>
        count >= 0 && count <= data.Length - p ? count : throw new InvalidDataException($"Invalid array length {count} in consumer protocol data");

    private static void Int16(ArrayBufferWriter<byte> w, short v)
    {
        BinaryPrimitives.WriteInt16BigEndian(w.GetSpan(2), v);
        w.Advance(2);
    }

    private static void Int32(ArrayBufferWriter<byte> w, int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(w.GetSpan(4), v);
        w.Advance(4);
    }

    private static void String(ArrayBufferWriter<byte> w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Int16(w, (short)bytes.Length);
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }

    private static short ReadInt16(ReadOnlySpan<byte> d, ref int p)
    {
        if (d.Length - p < 2) throw new InvalidDataException("Consumer protocol data truncated");
        var v = BinaryPrimitives.ReadInt16BigEndian(d[p..]);
        p += 2;
        return v;
    }

    private static int ReadInt32(ReadOnlySpan<byte> d, ref int p)
    {
        if (d.Length - p < 4) throw new InvalidDataException("Consumer protocol data truncated");
        var v = BinaryPrimitives.ReadInt32BigEndian(d[p..]);
        p += 4;
        return v;
    }

    private static string ReadString(ReadOnlySpan<byte> d, ref int p)
    {
        var length = ReadInt16(d, ref p);
        if (length < 0 || length > d.Length - p) throw new InvalidDataException("Invalid string in consumer protocol data");
        var s = Encoding.UTF8.GetString(d.Slice(p, length));
        p += length;
        return s;
    }

    private static void SkipBytes(ReadOnlySpan<byte> d, ref int p)
    {
        var length = ReadInt32(d, ref p);
        if (length < -1 || length > d.Length - p) throw new InvalidDataException("Invalid user data in consumer protocol data");
        if (length > 0) p += length;
    }
}
