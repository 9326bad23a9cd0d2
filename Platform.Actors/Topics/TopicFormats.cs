using Platform.Actors.Serialization;

namespace Platform.Actors.Topics;

/// <summary>
/// Binary formats of the topic registry's messages, events ("E-T*") and snapshot ("S-TR"), written under
/// <see cref="PlatformSerializer"/>. Manifests are part of the storage format: add new ones, never rename or reuse.
/// </summary>
internal static class TopicFormats
{
    public static void AddTo(MessageFormats formats)
    {
        formats.Add<CreateTopic>("TC", (w, m) =>
        {
            w.String(m.Name);
            w.Int32(m.Partitions);
            WriteMap(w, m.Configs);
            w.Bool(m.ValidateOnly);
        }, (ref WireReader r) => new CreateTopic(r.String(), r.Int32(), ReadMap(ref r), r.Remaining > 0 && r.Bool()));
        formats.Add<DeleteTopic>("TD", (w, m) => w.String(m.Name), (ref WireReader r) => new DeleteTopic(r.String()));
        formats.Add<CreatePartitions>("TP", (w, m) =>
        {
            w.String(m.Name);
            w.Int32(m.TotalCount);
            // Appended after the first release: an older node's request reads as a real change.
            w.Bool(m.ValidateOnly);
        }, (ref WireReader r) => new CreatePartitions(r.String(), r.Int32(), r.Remaining > 0 && r.Bool()));
        formats.Add<AlterTopicConfig>("TA", (w, m) =>
        {
            w.String(m.Name);
            w.List(m.Operations, (x, op) =>
            {
                x.String(op.Key);
                x.Byte((byte)op.Operation);
                x.NullableString(op.Value);
            });
            w.Bool(m.Replace);
            w.Bool(m.ValidateOnly);
        }, (ref WireReader r) =>
        {
            var name = r.String();
            var operations = new TopicConfigOperation[r.Count()];
            for (var i = 0; i < operations.Length; i++) operations[i] = new TopicConfigOperation(r.String(), (ConfigOperation)r.Byte(), r.NullableString());
            return new AlterTopicConfig(name, operations, r.Bool(), r.Bool());
        });
        formats.Add<TopicCommandResult>("TR", (w, m) =>
        {
            w.Error(m.Error, m.ErrorMessage);
            WriteOptionalTopic(w, m.Topic);
        }, (ref WireReader r) => new TopicCommandResult((ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r)));
        formats.Add<GetTopics>("TG", (w, m) =>
        {
            w.List(m.Names, (x, n) => x.String(n));
            w.Bool(m.AllowAutoCreate);
        }, (ref WireReader r) =>
        {
            var names = new string[r.Count()];
            for (var i = 0; i < names.Length; i++) names[i] = r.String();
            return new GetTopics(names, r.Bool());
        });
        formats.Add<TopicsResult>("TL", (w, m) => w.List(m.Topics, (x, t) =>
        {
            x.String(t.Name);
            x.Error(t.Error, t.ErrorMessage);
            WriteOptionalTopic(x, t.Topic);
        }), (ref WireReader r) =>
        {
            var topics = new TopicLookup[r.Count()];
            for (var i = 0; i < topics.Length; i++)
                topics[i] = new TopicLookup(r.String(), (ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r));
            return new TopicsResult(topics);
        });
        formats.Add<GetTopicById>("TI", (w, m) => w.Guid(m.TopicId), (ref WireReader r) => new GetTopicById(r.Guid()));
        formats.Add<TopicByIdResult>("TJ", (w, m) =>
        {
            w.Guid(m.TopicId);
            WriteOptionalTopic(w, m.Topic);
        }, (ref WireReader r) => new TopicByIdResult(r.Guid(), ReadOptionalTopic(ref r)));
        formats.Add<SubscribeTopics>("TS", (_, _) => { }, (ref WireReader _) => SubscribeTopics.Instance);
        formats.Add<TopicsChanged>("TX", (w, m) => WriteTopics(w, m.Topics), (ref WireReader r) => new TopicsChanged(ReadTopics(ref r)));

        formats.Add<TopicCreated>("E-TC", (w, m) => WriteTopic(w, m.Topic), (ref WireReader r) => new TopicCreated(ReadTopic(ref r)));
        formats.Add<TopicPartitionsIncreased>("E-TP", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.PartitionCount);
        }, (ref WireReader r) => new TopicPartitionsIncreased(r.Guid(), r.Int32()));
        formats.Add<TopicDeleted>("E-TD", (w, m) => w.Guid(m.TopicId), (ref WireReader r) => new TopicDeleted(r.Guid()));
        formats.Add<TopicConfigChanged>("E-TK", (w, m) =>
        {
            w.Guid(m.TopicId);
            WriteConfig(w, m.Config);
        }, (ref WireReader r) => new TopicConfigChanged(r.Guid(), ReadConfig(ref r)));
        formats.Add<TopicRegistrySnapshot>("S-TR", (w, m) => WriteTopics(w, m.Topics), (ref WireReader r) => new TopicRegistrySnapshot(ReadTopics(ref r)));
    }

    /// <summary>A topic's configuration, as topics and the partitions that apply it carry it.</summary>
    public static void WriteConfig(WireWriter w, TopicConfig c)
    {
        w.Int64(c.RetentionMs);
        w.Int64(c.RetentionBytes);
        w.Int32(c.MaxMessageBytes);
        w.String(c.CleanupPolicy);
    }

    public static TopicConfig ReadConfig(ref WireReader r) => new(r.Int64(), r.Int64(), r.Int32(), r.String());

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
        WriteConfig(w, t.Config);
    }

    private static TopicInfo ReadTopic(ref WireReader r) => new(r.String(), r.Guid(), r.Int32(), ReadConfig(ref r));

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
