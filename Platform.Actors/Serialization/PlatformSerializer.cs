using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using Platform.Actors.Gateway;
using Platform.Actors.Log;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;

namespace Platform.Actors.Serialization;

/// <summary>
/// The binary serializer for every <see cref="IPlatformMessage"/>: network messages, journal events and
/// snapshots. Manifests are short and never reused. Each payload starts with a format version byte so a
/// node can refuse what it cannot read instead of misreading it; the one exception is
/// <see cref="RecordBatchAppended"/>, stored as the bare RecordBatch v2, whose magic byte is its version.
/// </summary>
public sealed class PlatformSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private const byte Version1 = 1;

    private delegate object Reader(ref WireReader reader);

    private sealed record Format(string Manifest, Action<WireWriter, object> Write, Reader Read);

    // Manifests are part of the storage format: add new ones, never rename or reuse.
    private static readonly Dictionary<Type, Format> ByType = new()
    {
        [typeof(CreateTopic)] = new("TC", (w, o) =>
        {
            var m = (CreateTopic)o;
            w.String(m.Name);
            w.Int32(m.Partitions);
            WriteMap(w, m.Configs);
        }, (ref WireReader r) => new CreateTopic(r.String(), r.Int32(), ReadMap(ref r))),
        [typeof(DeleteTopic)] = new("TD", (w, o) => w.String(((DeleteTopic)o).Name), (ref WireReader r) => new DeleteTopic(r.String())),
        [typeof(CreatePartitions)] = new("TP", (w, o) =>
        {
            var m = (CreatePartitions)o;
            w.String(m.Name);
            w.Int32(m.TotalCount);
        }, (ref WireReader r) => new CreatePartitions(r.String(), r.Int32())),
        [typeof(TopicCommandResult)] = new("TR", (w, o) =>
        {
            var m = (TopicCommandResult)o;
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            WriteOptionalTopic(w, m.Topic);
        }, (ref WireReader r) => new TopicCommandResult((ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r))),
        [typeof(GetTopics)] = new("TG", (w, o) =>
        {
            var m = (GetTopics)o;
            w.List(m.Names, (x, n) => x.String(n));
            w.Bool(m.AllowAutoCreate);
        }, (ref WireReader r) =>
        {
            var names = new string[r.Count()];
            for (var i = 0; i < names.Length; i++) names[i] = r.String();
            return new GetTopics(names, r.Bool());
        }),
        [typeof(TopicsResult)] = new("TL", (w, o) => w.List(((TopicsResult)o).Topics, (x, t) =>
        {
            x.String(t.Name);
            x.Int16((short)t.Error);
            x.NullableString(t.ErrorMessage);
            WriteOptionalTopic(x, t.Topic);
        }), (ref WireReader r) =>
        {
            var topics = new TopicLookup[r.Count()];
            for (var i = 0; i < topics.Length; i++)
                topics[i] = new TopicLookup(r.String(), (ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r));
            return new TopicsResult(topics);
        }),
        [typeof(GetTopicById)] = new("TI", (w, o) => w.Guid(((GetTopicById)o).TopicId), (ref WireReader r) => new GetTopicById(r.Guid())),
        [typeof(TopicByIdResult)] = new("TJ", (w, o) =>
        {
            var m = (TopicByIdResult)o;
            w.Guid(m.TopicId);
            WriteOptionalTopic(w, m.Topic);
        }, (ref WireReader r) => new TopicByIdResult(r.Guid(), ReadOptionalTopic(ref r))),
        [typeof(SubscribeTopics)] = new("TS", (_, _) => { }, (ref WireReader _) => SubscribeTopics.Instance),
        [typeof(TopicsChanged)] = new("TX", (w, o) => WriteTopics(w, ((TopicsChanged)o).Topics),
            (ref WireReader r) => new TopicsChanged(ReadTopics(ref r))),
        [typeof(TopicCreated)] = new("E-TC", (w, o) => WriteTopic(w, ((TopicCreated)o).Topic),
            (ref WireReader r) => new TopicCreated(ReadTopic(ref r))),
        [typeof(TopicPartitionsIncreased)] = new("E-TP", (w, o) =>
        {
            var m = (TopicPartitionsIncreased)o;
            w.Guid(m.TopicId);
            w.Int32(m.PartitionCount);
        }, (ref WireReader r) => new TopicPartitionsIncreased(r.Guid(), r.Int32())),
        [typeof(TopicDeleted)] = new("E-TD", (w, o) => w.Guid(((TopicDeleted)o).TopicId), (ref WireReader r) => new TopicDeleted(r.Guid())),
        [typeof(TopicRegistrySnapshot)] = new("S-TR", (w, o) => WriteTopics(w, ((TopicRegistrySnapshot)o).Topics),
            (ref WireReader r) => new TopicRegistrySnapshot(ReadTopics(ref r))),

        [typeof(Produce)] = new("PP", (w, o) =>
        {
            var m = (Produce)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Bytes(m.Batch);
        }, (ref WireReader r) =>
        {
            var (topic, partition, correlation) = (r.Guid(), r.Int32(), r.Int64());
            return new Produce(topic, partition, r.Bytes(), correlation);
        }),
        [typeof(ProduceResult)] = new("PR", (w, o) =>
        {
            var m = (ProduceResult)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int64(m.BaseOffset);
            w.Int64(m.LogStartOffset);
        }, (ref WireReader r) => new ProduceResult(r.Guid(), r.Int32(), r.Int64(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64())),
        [typeof(Fetch)] = new("PF", (w, o) =>
        {
            var m = (Fetch)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.Offset);
            w.Int32(m.MaxBytes);
            w.Int32(m.MaxWaitMs);
            w.Int64(m.CorrelationId);
        }, (ref WireReader r) => new Fetch(r.Guid(), r.Int32(), r.Int64(), r.Int32(), r.Int32(), r.Int64())),
        [typeof(FetchResult)] = new("PG", (w, o) =>
        {
            var m = (FetchResult)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int64(m.CorrelationId);
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int64(m.HighWatermark);
            w.Int64(m.LogStartOffset);
            w.List(m.Batches, (x, b) => x.Bytes(b));
        }, (ref WireReader r) =>
        {
            var (topic, partition, correlation, error, message, hw, start) =
                (r.Guid(), r.Int32(), r.Int64(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64());
            var batches = new byte[r.Count()][];
            for (var i = 0; i < batches.Length; i++) batches[i] = r.Bytes();
            return new FetchResult(topic, partition, correlation, error, message, hw, start, batches);
        }),
        [typeof(GetPartitionStatus)] = new("PS", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new GetPartitionStatus(r.Guid(), r.Int32())),
        [typeof(PartitionStatus)] = new("PT", (w, o) =>
        {
            var m = (PartitionStatus)o;
            w.Guid(m.TopicId);
            w.Int32(m.Partition);
            w.Int16((short)m.Error);
            w.NullableString(m.ErrorMessage);
            w.Int64(m.LogStartOffset);
            w.Int64(m.HighWatermark);
            w.String(m.Leader);
            w.Int64(m.SizeBytes);
            w.Int64(m.LastRecoveryMs);
        }, (ref WireReader r) => new PartitionStatus(r.Guid(), r.Int32(), (ErrorCode)r.Int16(), r.NullableString(), r.Int64(), r.Int64(), r.String(), r.Int64(), r.Int64())),
        [typeof(RestartPartition)] = new("PX", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new RestartPartition(r.Guid(), r.Int32())),
        [typeof(DeletePartition)] = new("PD", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new DeletePartition(r.Guid(), r.Int32())),
        [typeof(WakePartition)] = new("PW", (w, o) => WriteTopicPartition(w, (IPartitionMessage)o),
            (ref WireReader r) => new WakePartition(r.Guid(), r.Int32())),
        [typeof(LogStartAdvanced)] = new("E-LS", (w, o) =>
        {
            var m = (LogStartAdvanced)o;
            w.Int64(m.LogStartOffset);
            w.Int64(m.DeletedToSequenceNr);
        }, (ref WireReader r) => new LogStartAdvanced(r.Int64(), r.Int64())),
        [typeof(PartitionSnapshot)] = new("S-P", (w, o) =>
        {
            var m = (PartitionSnapshot)o;
            w.Int64(m.LogStartOffset);
            w.Int64(m.LogEndOffset);
            w.List(m.Segments, (x, s) =>
            {
                x.Int64(s.BaseOffset);
                x.Int64(s.NextOffset);
                x.Int64(s.FirstSequenceNr);
                x.Int64(s.LastSequenceNr);
                x.Int64(s.Bytes);
                x.Int64(s.MaxTimestamp);
            });
        }, (ref WireReader r) =>
        {
            var (start, end) = (r.Int64(), r.Int64());
            var segments = new Segment[r.Count()];
            for (var i = 0; i < segments.Length; i++)
                segments[i] = new Segment(r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64(), r.Int64());
            return new PartitionSnapshot(start, end, segments);
        }),

        [typeof(GetNodeStats)] = new("NS", (_, _) => { }, (ref WireReader _) => GetNodeStats.Instance),
        [typeof(NodeStats)] = new("NT", (w, o) =>
        {
            var m = (NodeStats)o;
            w.String(m.Address);
            w.Int64(m.WorkingSetBytes);
            w.Int64(m.PeakWorkingSetBytes);
            w.Int64(m.ManagedHeapBytes);
            w.Int64(m.TailCacheBytes);
        }, (ref WireReader r) => new NodeStats(r.String(), r.Int64(), r.Int64(), r.Int64(), r.Int64())),
    };

    private const string BatchManifest = "E-RB";

    private static readonly Dictionary<string, Format> ByManifest = ByType.Values.ToDictionary(f => f.Manifest);

    /// <summary>Every message type this serializer handles; the specs round-trip each one.</summary>
    public static IEnumerable<Type> SupportedTypes => ByType.Keys.Append(typeof(RecordBatchAppended));

    public override string Manifest(object o) => o switch
    {
        RecordBatchAppended => BatchManifest,
        _ when ByType.TryGetValue(o.GetType(), out var format) => format.Manifest,
        _ => throw new ArgumentException($"{nameof(PlatformSerializer)} has no format for {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        if (obj is RecordBatchAppended appended) return appended.Batch;
        if (!ByType.TryGetValue(obj.GetType(), out var format))
            throw new ArgumentException($"{nameof(PlatformSerializer)} has no format for {obj.GetType()}");
        var writer = new WireWriter();
        writer.Byte(Version1);
        format.Write(writer, obj);
        return writer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == BatchManifest)
        {
            if (RecordBatch.Validate(bytes) is var error and not BatchError.None)
                throw new InvalidDataException($"Stored record batch is unreadable: {error}");
            return new RecordBatchAppended(bytes);
        }
        if (!ByManifest.TryGetValue(manifest, out var format))
            throw new SerializationException($"Unknown manifest '{manifest}' for {nameof(PlatformSerializer)}");
        var reader = new WireReader(bytes);
        reader.ExpectVersion(Version1, manifest);
        return format.Read(ref reader);
    }

    private static void WriteTopicPartition(WireWriter w, IPartitionMessage m)
    {
        w.Guid(m.TopicId);
        w.Int32(m.Partition);
    }

    private static void WriteMap(WireWriter w, IReadOnlyDictionary<string, string> map) =>
        w.List(map.ToList(), (x, kv) =>
        {
            x.String(kv.Key);
            x.String(kv.Value);
        });

    private static Dictionary<string, string> ReadMap(ref WireReader r)
    {
        var count = r.Count();
        var map = new Dictionary<string, string>(count);
        for (var i = 0; i < count; i++) map[r.String()] = r.String();
        return map;
    }

    private static void WriteTopic(WireWriter w, TopicInfo t)
    {
        w.String(t.Name);
        w.Guid(t.TopicId);
        w.Int32(t.PartitionCount);
        w.Int64(t.Config.RetentionMs);
        w.Int64(t.Config.RetentionBytes);
        w.Int32(t.Config.MaxMessageBytes);
        w.String(t.Config.CleanupPolicy);
    }

    private static TopicInfo ReadTopic(ref WireReader r) =>
        new(r.String(), r.Guid(), r.Int32(), new TopicConfig(r.Int64(), r.Int64(), r.Int32(), r.String()));

    private static void WriteOptionalTopic(WireWriter w, TopicInfo? t)
    {
        w.Bool(t is not null);
        if (t is not null) WriteTopic(w, t);
    }

    private static TopicInfo? ReadOptionalTopic(ref WireReader r) => r.Bool() ? ReadTopic(ref r) : null;

    private static void WriteTopics(WireWriter w, IReadOnlyList<TopicInfo> topics) => w.List(topics, WriteTopic);

    private static TopicInfo[] ReadTopics(ref WireReader r)
    {
        var topics = new TopicInfo[r.Count()];
        for (var i = 0; i < topics.Length; i++) topics[i] = ReadTopic(ref r);
        return topics;
    }
}
