namespace Platform.Actors.Topics;

/// <summary>
/// A topic as the registry knows it. <see cref="TopicId"/> is part of every partition's persistence id,
/// so deleting a topic and creating one with the same name starts from an empty log.
/// </summary>
internal sealed record TopicInfo(string Name, Guid TopicId, int PartitionCount, TopicConfig Config);
