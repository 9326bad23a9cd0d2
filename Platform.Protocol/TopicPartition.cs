namespace Platform.Protocol;

/// <summary>
/// A partition of a topic, by name: the one type for the concept in broker, client and assignors alike (as
/// Confluent.Kafka's <c>TopicPartition</c>), so nothing converts between look-alikes. Ordered by topic
/// (ordinal) then partition, the order the assignors sort partitions in.
/// </summary>
public readonly record struct TopicPartition(string Topic, int Partition) : IComparable<TopicPartition>
{
    public int CompareTo(TopicPartition other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.CompareTo(other.Partition);
    }

    public override string ToString() => $"{Topic}-{Partition}";
}
