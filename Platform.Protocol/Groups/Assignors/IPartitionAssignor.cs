namespace Platform.Protocol.Groups;

/// <summary>
/// An assignment strategy under Kafka's protocol name, run by a group's leader (client-side, as Kafka's consumers do). Pure: the result has an entry (maybe
/// empty, sorted) for every member, and only assigns existing partitions of topics a member subscribes to.
/// </summary>
public interface IPartitionAssignor
{
    string Name { get; }

    IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic);
}
