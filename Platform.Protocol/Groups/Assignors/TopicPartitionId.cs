namespace Platform.Protocol.Groups;

/// <summary>A topic partition by name, ordered by topic (ordinal) then partition, as assignors sort them.</summary>
public readonly record struct TopicPartitionId(string Topic, int Partition) : IComparable<TopicPartitionId>
{
    public int CompareTo(TopicPartitionId other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.CompareTo(other.Partition);
    }

    public override string ToString() => $"{Topic}-{Partition}";
}
