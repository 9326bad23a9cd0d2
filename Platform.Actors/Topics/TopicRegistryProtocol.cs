using Platform.Actors.Serialization;

namespace Platform.Actors.Topics;

// Commands and replies of the topic registry. Clients send them to a node's gateway, which forwards them
// to the registry (a cluster singleton); the registry replies straight to the client.

/// <summary>Create a topic with <paramref name="Partitions"/> partitions; configs use Kafka's keys.</summary>
public sealed record CreateTopic(string Name, int Partitions, IReadOnlyDictionary<string, string> Configs) : IPlatformMessage;

/// <summary>Delete a topic and every record in it.</summary>
public sealed record DeleteTopic(string Name) : IPlatformMessage;

/// <summary>Raise a topic's partition count to <paramref name="TotalCount"/> (Kafka's CreatePartitions).</summary>
public sealed record CreatePartitions(string Name, int TotalCount) : IPlatformMessage;

/// <summary>The outcome of a create, delete or alter: an error code, or the topic as it now is.</summary>
public sealed record TopicCommandResult(ErrorCode Error, string? ErrorMessage, TopicInfo? Topic) : IPlatformMessage;

/// <summary>
/// Metadata for the named topics, or for every topic when <paramref name="Names"/> is empty.
/// <paramref name="AllowAutoCreate"/> lets a producer's lookup create missing topics when the node allows it.
/// </summary>
public sealed record GetTopics(IReadOnlyList<string> Names, bool AllowAutoCreate) : IPlatformMessage;

/// <summary>One entry per requested name (or per existing topic), in request order.</summary>
public sealed record TopicsResult(IReadOnlyList<TopicLookup> Topics) : IPlatformMessage;

public sealed record TopicLookup(string Name, ErrorCode Error, string? ErrorMessage, TopicInfo? Topic);

/// <summary>Asked by a partition when it starts: its topic's configuration, or null if the topic is gone.</summary>
public sealed record GetTopicById(Guid TopicId) : IPlatformMessage;

public sealed record TopicByIdResult(Guid TopicId, TopicInfo? Topic) : IPlatformMessage;

/// <summary>
/// A gateway subscribes to keep its routing cache current; the registry answers with the whole topic list
/// now and after every change. Idempotent, so a gateway may repeat it after a singleton hand-over.
/// </summary>
public sealed record SubscribeTopics : IPlatformMessage
{
    public static readonly SubscribeTopics Instance = new();
}

public sealed record TopicsChanged(IReadOnlyList<TopicInfo> Topics) : IPlatformMessage;

// Journal events and snapshot of the registry.

public sealed record TopicCreated(TopicInfo Topic) : IPlatformMessage;

public sealed record TopicPartitionsIncreased(Guid TopicId, int PartitionCount) : IPlatformMessage;

public sealed record TopicDeleted(Guid TopicId) : IPlatformMessage;

public sealed record TopicRegistrySnapshot(IReadOnlyList<TopicInfo> Topics) : IPlatformMessage;
