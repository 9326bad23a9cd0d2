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
            WriteOverrides(w, Configs(m.Topic));
        }, (ref WireReader r) =>
        {
            var (error, message, topic) = ((ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r));
            return new TopicCommandResult(error, message, WithOverrides(topic, ReadOverrides(ref r, Configs(topic).Count)));
        });
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
        formats.Add<TopicsResult>("TL", (w, m) =>
        {
            w.List(m.Topics, (x, t) =>
            {
                x.String(t.Name);
                x.Error(t.Error, t.ErrorMessage);
                WriteOptionalTopic(x, t.Topic);
            });
            WriteOverrides(w, m.Topics.SelectMany(t => Configs(t.Topic)).ToList());
        }, (ref WireReader r) =>
        {
            var topics = new TopicLookup[r.Count()];
            for (var i = 0; i < topics.Length; i++)
                topics[i] = new TopicLookup(r.String(), (ErrorCode)r.Int16(), r.NullableString(), ReadOptionalTopic(ref r));
            var withTopic = topics.Where(t => t.Topic is not null).ToList();
            var overrides = ReadOverrides(ref r, withTopic.Count);
            if (overrides is not null)
            {
                for (int i = 0, next = 0; i < topics.Length; i++)
                    if (topics[i].Topic is { } topic) topics[i] = topics[i] with { Topic = WithOverrides(topic, overrides[next++]) };
            }
            return new TopicsResult(topics);
        });
        formats.Add<GetTopicById>("TI", (w, m) => w.Guid(m.TopicId), (ref WireReader r) => new GetTopicById(r.Guid()));
        formats.Add<TopicByIdResult>("TJ", (w, m) =>
        {
            w.Guid(m.TopicId);
            WriteOptionalTopic(w, m.Topic);
            WriteOverrides(w, Configs(m.Topic));
        }, (ref WireReader r) =>
        {
            var (id, topic) = (r.Guid(), ReadOptionalTopic(ref r));
            return new TopicByIdResult(id, WithOverrides(topic, ReadOverrides(ref r, Configs(topic).Count)));
        });
        formats.Add<SubscribeTopics>("TS", (_, _) => { }, (ref WireReader _) => SubscribeTopics.Instance);
        formats.Add<TopicsChanged>("TX", (w, m) => WriteTopics(w, m.Topics), (ref WireReader r) => new TopicsChanged(ReadTopics(ref r)));

        formats.Add<TopicCreated>("E-TC", (w, m) =>
        {
            WriteTopic(w, m.Topic);
            WriteOverrides(w, [m.Topic.Config]);
        }, (ref WireReader r) =>
        {
            var topic = ReadTopic(ref r);
            return new TopicCreated(ReadOverrides(ref r, 1) is { } overrides ? WithOverrides(topic, overrides[0]) : topic);
        });
        formats.Add<TopicPartitionsIncreased>("E-TP", (w, m) =>
        {
            w.Guid(m.TopicId);
            w.Int32(m.PartitionCount);
        }, (ref WireReader r) => new TopicPartitionsIncreased(r.Guid(), r.Int32()));
        formats.Add<TopicDeleted>("E-TD", (w, m) => w.Guid(m.TopicId), (ref WireReader r) => new TopicDeleted(r.Guid()));
        formats.Add<TopicConfigChanged>("E-TK", (w, m) =>
        {
            w.Guid(m.TopicId);
            WriteConfigWithOverrides(w, m.Config);
        }, (ref WireReader r) => new TopicConfigChanged(r.Guid(), ReadConfigWithOverrides(ref r)));
        formats.Add<TopicRegistrySnapshot>("S-TR", (w, m) => WriteTopics(w, m.Topics), (ref WireReader r) => new TopicRegistrySnapshot(ReadTopics(ref r)));
    }

    /// <summary>A topic's configuration, as topics and the partitions that apply it carry it: its values, then (see
    /// <see cref="WriteOverrides"/>) its overrides. Only for a payload that ends with the config.</summary>
    public static void WriteConfigWithOverrides(WireWriter w, TopicConfig c)
    {
        WriteConfig(w, c);
        WriteOverrides(w, [c]);
    }

    public static TopicConfig ReadConfigWithOverrides(ref WireReader r)
    {
        var config = ReadConfig(ref r);
        return ReadOverrides(ref r, 1) is { } overrides ? config.WithStoredOverrides(overrides[0]) : config;
    }

    private static void WriteConfig(WireWriter w, TopicConfig c)
    {
        w.Int64(c.RetentionMs);
        w.Int64(c.RetentionBytes);
        w.Int32(c.MaxMessageBytes);
        w.String(c.CleanupPolicy);
    }

    private static TopicConfig ReadConfig(ref WireReader r) => new(r.Int64(), r.Int64(), r.Int32(), r.String());

    /// <summary>
    /// The overrides (<see cref="TopicConfig.Overrides"/>) of every config a payload carries, in the order the configs
    /// were written, appended after the payload once topics could have them. Written only when a config has one, so a
    /// payload without overrides keeps the bytes of the first release; a node of that release stops reading before
    /// them (its topics then follow its own timestamp settings), and its payloads read here as configs without any.
    /// </summary>
    private static void WriteOverrides(WireWriter w, IReadOnlyList<TopicConfig> configs)
    {
        if (configs.All(c => c.Overrides().Count == 0)) return;
        w.List(configs, (x, c) => x.List(c.Overrides(), (y, kv) =>
        {
            y.String(kv.Key);
            y.String(kv.Value);
        }));
    }

    /// <returns>null for a payload without overrides; otherwise one list for each of the <paramref name="count"/> configs.</returns>
    private static List<KeyValuePair<string, string>>[]? ReadOverrides(ref WireReader r, int count)
    {
        if (r.Remaining == 0) return null;
        var written = r.Count();
        if (written != count) throw new InvalidDataException($"Overrides for {written} topic configs, but the payload carries {count}");
        var overrides = new List<KeyValuePair<string, string>>[written];
        for (var i = 0; i < written; i++)
        {
            var pairs = r.Count();
            overrides[i] = new List<KeyValuePair<string, string>>(pairs);
            for (var j = 0; j < pairs; j++) overrides[i].Add(new(r.String(), r.String()));
        }
        return overrides;
    }

    private static IReadOnlyList<TopicConfig> Configs(TopicInfo? topic) => topic is null ? [] : [topic.Config];

    private static TopicInfo WithOverrides(TopicInfo topic, List<KeyValuePair<string, string>> overrides) =>
        topic with { Config = topic.Config.WithStoredOverrides(overrides) };

    private static TopicInfo? WithOverrides(TopicInfo? topic, List<KeyValuePair<string, string>>[]? overrides) =>
        topic is null || overrides is null ? topic : WithOverrides(topic, overrides[0]);

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

    /// <summary>A whole payload of topics (with their overrides after them).</summary>
    private static void WriteTopics(WireWriter w, IReadOnlyList<TopicInfo> topics)
    {
        w.List(topics, WriteTopic);
        WriteOverrides(w, topics.Select(t => t.Config).ToList());
    }

    private static TopicInfo[] ReadTopics(ref WireReader r)
    {
        var topics = new TopicInfo[r.Count()];
        for (var i = 0; i < topics.Length; i++) topics[i] = ReadTopic(ref r);
        if (ReadOverrides(ref r, topics.Length) is { } overrides)
            for (var i = 0; i < topics.Length; i++) topics[i] = WithOverrides(topics[i], overrides[i]);
        return topics;
    }
}
