using System.Globalization;
using Platform.Actors.Configuration;
using Platform.Actors.Topics;

namespace Platform.Actors.Kafka;

/// <summary>One config as DescribeConfigs and CreateTopics (v5+) report it, in Kafka's vocabulary.</summary>
/// <param name="Synonym">The broker setting a topic config falls back to (Kafka's synonym), with its value.</param>
internal sealed record ConfigDescription(
    string Name, string Value, sbyte Source, sbyte Type, bool ReadOnly, string Documentation, (string Name, string Value)? Synonym = null);

/// <summary>
/// The configs a topic or a broker reports over the Kafka protocol. Topic configs are the registry's
/// resolved values: TOPIC_CONFIG where a value differs from the node's <c>platform.topic-defaults</c>,
/// DEFAULT_CONFIG where it does not (a topic stores values, not which of them were given). Broker configs
/// are the node's HOCON settings under Kafka's names, read-only: they change with a restart.
/// </summary>
internal static class ConfigDescriptions
{
    // Kafka's DescribeConfigsResponse.ConfigSource.
    public const sbyte TopicConfigSource = 1;
    public const sbyte StaticBrokerConfigSource = 4;
    public const sbyte DefaultConfigSource = 5;

    // Kafka's ConfigResource.Type.
    public const sbyte TopicResource = 2;
    public const sbyte BrokerResource = 4;
    public const sbyte BrokerLoggerResource = 8;

    // Kafka's DescribeConfigsResponse.ConfigType.
    private const sbyte BooleanType = 1, StringType = 2, IntType = 3, ShortType = 4, LongType = 5, ListType = 7;

    private static readonly Dictionary<string, (string BrokerName, sbyte Type, string Documentation)> TopicKeys = new()
    {
        [TopicConfig.RetentionMsKey] = ("log.retention.ms", LongType,
            "How long a record is kept before its segment may be deleted; -1 keeps records forever."),
        [TopicConfig.RetentionBytesKey] = ("log.retention.bytes", LongType,
            "The size a partition may grow to before its oldest segments are deleted; -1 means no limit."),
        [TopicConfig.MaxMessageBytesKey] = ("message.max.bytes", IntType,
            "The largest record batch the topic accepts, in bytes."),
        [TopicConfig.CleanupPolicyKey] = ("log.cleanup.policy", ListType,
            "What happens to old segments: only 'delete' is supported."),
        [TopicConfig.MessageTimestampTypeKey] = ("log.message.timestamp.type", StringType,
            "CreateTime keeps each record's timestamp (checked against the window below); LogAppendTime replaces them with the broker's clock."),
        [TopicConfig.MessageTimestampBeforeMaxMsKey] = ("log.message.timestamp.before.max.ms", LongType,
            "How far behind the broker's clock a CreateTime timestamp may be; a batch beyond it gets INVALID_TIMESTAMP."),
        [TopicConfig.MessageTimestampAfterMaxMsKey] = ("log.message.timestamp.after.max.ms", LongType,
            "How far ahead of the broker's clock a CreateTime timestamp may be; a batch beyond it gets INVALID_TIMESTAMP."),
    };

    /// <param name="node">The node's message timestamp settings, which apply where the topic sets none (Kafka's synonyms).</param>
    public static IEnumerable<ConfigDescription> Topic(TopicConfig config, TopicConfig defaults, PartitionSettings node)
    {
        var values = config.ToDictionary();
        var defaultValues = new Dictionary<string, string>(defaults.ToDictionary())
        {
            [TopicConfig.MessageTimestampTypeKey] = node.LogAppendTime ? TopicConfig.LogAppendTime : TopicConfig.CreateTime,
            [TopicConfig.MessageTimestampBeforeMaxMsKey] = Long(node.TimestampBeforeMaxMs),
            [TopicConfig.MessageTimestampAfterMaxMsKey] = Long(node.TimestampAfterMaxMs),
        };
        foreach (var key in TopicConfig.Keys)
        {
            var (brokerName, type, documentation) = TopicKeys[key];
            var value = values.GetValueOrDefault(key) ?? defaultValues[key];
            var source = values.ContainsKey(key) && value != defaultValues[key] ? TopicConfigSource : DefaultConfigSource;
            yield return new ConfigDescription(key, value, source, type, ReadOnly: false, documentation, (brokerName, defaultValues[key]));
        }
    }

    public static IEnumerable<ConfigDescription> Broker(KafkaServices services)
    {
        var node = services.Node;
        var group = services.GroupSettings;
        var defaults = node.TopicDefaults;
        ConfigDescription Static(string name, string value, sbyte type, string documentation) =>
            new(name, value, StaticBrokerConfigSource, type, ReadOnly: true, documentation);
        yield return Static("broker.id", Int(services.Brokers.SelfNodeId), IntType, "This node's id, derived from its cluster address.");
        yield return Static("auto.create.topics.enable", node.AutoCreateTopics ? "true" : "false", BooleanType,
            "Whether producing to or asking for an unknown topic creates it (platform.node.auto-create-topics).");
        yield return Static("num.partitions", Int(node.AutoCreatePartitions), IntType,
            "Partitions of an auto-created topic, and of CreateTopics with num_partitions -1 (platform.node.auto-create-partitions).");
        yield return Static("default.replication.factor", "1", ShortType,
            "Each partition has one leader and no follower replicas: durability comes from the shared journal.");
        yield return Static("message.max.bytes", Int(defaults.MaxMessageBytes), IntType,
            "The default max.message.bytes of new topics (platform.topic-defaults).");
        yield return Static("log.retention.ms", Long(defaults.RetentionMs), LongType, "The default retention.ms of new topics (platform.topic-defaults).");
        yield return Static("log.retention.bytes", Long(defaults.RetentionBytes), LongType, "The default retention.bytes of new topics (platform.topic-defaults).");
        yield return Static("log.cleanup.policy", defaults.CleanupPolicy, ListType, "The default cleanup.policy of new topics (platform.topic-defaults).");
        var partition = services.PartitionSettings;
        yield return Static("log.message.timestamp.type", partition.LogAppendTime ? TopicConfig.LogAppendTime : TopicConfig.CreateTime, StringType,
            "The message.timestamp.type of topics that set none (platform.partition.message-timestamp-type).");
        yield return Static("log.message.timestamp.before.max.ms", Long(partition.TimestampBeforeMaxMs), LongType,
            "The message.timestamp.before.max.ms of topics that set none (platform.partition.message-timestamp-before-max-ms).");
        yield return Static("log.message.timestamp.after.max.ms", Long(partition.TimestampAfterMaxMs), LongType,
            "The message.timestamp.after.max.ms of topics that set none (platform.partition.message-timestamp-after-max-ms).");
        yield return Static("socket.request.max.bytes", Int(services.Settings.SocketRequestMaxBytes), IntType,
            "The largest request frame the Kafka listener accepts (platform.kafka.socket-request-max-bytes).");
        yield return Static("group.initial.rebalance.delay.ms", Long((long)group.InitialRebalanceDelay.TotalMilliseconds), IntType,
            "How long the first rebalance of an empty group waits for more members (platform.group.initial-rebalance-delay).");
        yield return Static("offsets.retention.minutes", Long((long)group.OffsetsRetention.TotalMinutes), IntType,
            "How long the offsets of an empty group are kept (platform.group.offsets-retention).");
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Long(long value) => value.ToString(CultureInfo.InvariantCulture);
}
