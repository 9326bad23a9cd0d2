namespace Platform.Client;

/// <summary>A topic as the cluster's metadata names it (Confluent.Kafka's TopicMetadata, with Kafka's topic id).</summary>
public sealed record TopicMetadata(string Name, Guid TopicId, int PartitionCount);
