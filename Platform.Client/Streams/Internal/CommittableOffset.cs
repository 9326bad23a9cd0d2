namespace Platform.Client.Streams.Internal;

/// <summary>One record's offset, bound to the source that can commit it.</summary>
internal sealed class CommittableOffset(ICommitter committer, GroupTopicPartitionOffset partitionOffset) : ICommittableOffset
{
    public ICommitter Committer { get; } = committer;

    public GroupTopicPartitionOffset PartitionOffset { get; } = partitionOffset;

    public long BatchSize => 1;

    public Task CommitAsync() =>
        Committer.CommitAsync([new TopicPartitionOffset(PartitionOffset.Topic, PartitionOffset.Partition, PartitionOffset.Offset + 1)]);

    public override string ToString() => $"CommittableOffset({PartitionOffset})";
}
