using Platform.Actors.Serialization;

namespace Platform.Actors.Topics;

// Commands and replies of the topic registry. The Kafka listener's handlers send them to the registry (a
// cluster singleton) through the node's proxy; the registry replies straight to the sender.

/// <summary>
/// Create a topic with <paramref name="Partitions"/> partitions; configs use Kafka's keys. With
/// <paramref name="ValidateOnly"/> the registry answers as if it had created it, and creates nothing.
/// </summary>
internal sealed record CreateTopic(string Name, int Partitions, IReadOnlyDictionary<string, string> Configs, bool ValidateOnly = false)
    : IPlatformMessage;

/// <summary>Delete a topic and every record in it.</summary>
internal sealed record DeleteTopic(string Name) : IPlatformMessage;

/// <summary>Raise a topic's partition count to <paramref name="TotalCount"/> (Kafka's CreatePartitions), or only check that it could be.</summary>
internal sealed record CreatePartitions(string Name, int TotalCount, bool ValidateOnly = false) : IPlatformMessage;

/// <summary>
/// Change a topic's configs (Kafka's AlterConfigs and IncrementalAlterConfigs). With <paramref name="Replace"/>
/// every config not named goes back to the node's default, as the legacy AlterConfigs does; otherwise the
/// operations apply to the current configs. The result goes through <see cref="TopicConfig.Parse"/>, so a
/// topic never holds a config it could not have been created with.
/// </summary>
internal sealed record AlterTopicConfig(string Name, IReadOnlyList<TopicConfigOperation> Operations, bool Replace, bool ValidateOnly)
    : IPlatformMessage;

/// <summary>One change of one config key; <paramref name="Value"/> is null only for <see cref="ConfigOperation.Delete"/>.</summary>
internal sealed record TopicConfigOperation(string Key, ConfigOperation Operation, string? Value);

/// <summary>Kafka's AlterConfigOp.OpType, with its wire ids.</summary>
internal enum ConfigOperation : byte
{
    Set = 0,
    Delete = 1,
    Append = 2,
    Subtract = 3,
}

/// <summary>The outcome of a create, delete or alter: an error code, or the topic as it now is.</summary>
internal sealed record TopicCommandResult(ErrorCode Error, string? ErrorMessage, TopicInfo? Topic) : IPlatformMessage;

/// <summary>
/// Metadata for the named topics, or for every topic when <paramref name="Names"/> is empty.
/// <paramref name="AllowAutoCreate"/> lets a producer's lookup create missing topics when the node allows it.
/// </summary>
internal sealed record GetTopics(IReadOnlyList<string> Names, bool AllowAutoCreate) : IPlatformMessage;

/// <summary>One entry per requested name (or per existing topic), in request order.</summary>
internal sealed record TopicsResult(IReadOnlyList<TopicLookup> Topics) : IPlatformMessage;

internal sealed record TopicLookup(string Name, ErrorCode Error, string? ErrorMessage, TopicInfo? Topic);

/// <summary>Asked by a partition when it starts: its topic's configuration, or null if the topic is gone.</summary>
internal sealed record GetTopicById(Guid TopicId) : IPlatformMessage;

internal sealed record TopicByIdResult(Guid TopicId, TopicInfo? Topic) : IPlatformMessage;

/// <summary>
/// A gateway subscribes to keep its routing cache current; the registry answers with the whole topic list
/// now and after every change. Idempotent, so a gateway may repeat it after a singleton hand-over.
/// </summary>
internal sealed record SubscribeTopics : IPlatformMessage
{
    public static readonly SubscribeTopics Instance = new();
}

internal sealed record TopicsChanged(IReadOnlyList<TopicInfo> Topics) : IPlatformMessage;

// Journal events and snapshot of the registry.

internal sealed record TopicCreated(TopicInfo Topic) : IPlatformMessage;

internal sealed record TopicPartitionsIncreased(Guid TopicId, int PartitionCount) : IPlatformMessage;

internal sealed record TopicDeleted(Guid TopicId) : IPlatformMessage;

/// <summary>A topic's configs were changed; <paramref name="Config"/> is the whole resolved config now in force.</summary>
internal sealed record TopicConfigChanged(Guid TopicId, TopicConfig Config) : IPlatformMessage;

internal sealed record TopicRegistrySnapshot(IReadOnlyList<TopicInfo> Topics) : IPlatformMessage;
