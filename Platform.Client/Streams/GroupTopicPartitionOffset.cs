namespace Platform.Client.Streams;

/// <summary>A partition as a group sees it: the key under which a batch keeps its highest offset.</summary>
public readonly record struct GroupTopicPartition(string GroupId, string Topic, int Partition)
{
    public TopicPartition TopicPartition => new(Topic, Partition);

    public override string ToString() => $"{GroupId}:{Topic}-{Partition}";
}

/// <summary>A consumed record's position: group, topic, partition and the record's own offset (Alpakka's PartitionOffset).</summary>
public readonly record struct GroupTopicPartitionOffset(string GroupId, string Topic, int Partition, long Offset)
{
    public GroupTopicPartition Key => new(GroupId, Topic, Partition);

    public override string ToString() => $"{GroupId}:{Topic}-{Partition}@{Offset}";
}
