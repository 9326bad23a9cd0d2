namespace Platform.Client.Streams.Internal;

/// <summary>The source side of a commit: the consumer (group member or standalone) that stores offsets for its group.</summary>
internal interface ICommitter
{
    string GroupId { get; }

    /// <summary>Commits next offsets (offset + 1 of the last processed record).</summary>
    Task CommitAsync(IReadOnlyList<TopicPartitionOffset> offsets);
}
