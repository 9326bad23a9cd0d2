namespace Platform.Client;

/// <summary>
/// A topic with its configuration (DescribeConfigs: every key the broker reports for it, defaults included)
/// and each partition's state.
/// </summary>
public sealed record TopicDescription(TopicMetadata Topic, IReadOnlyList<PartitionDescription> Partitions,
    IReadOnlyDictionary<string, string> Configs);
