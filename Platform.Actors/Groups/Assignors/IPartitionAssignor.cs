namespace Platform.Actors.Groups.Assignors;

/// <summary>
/// A server-side assignment strategy under Kafka's protocol name. Pure: the result has an entry (maybe
/// empty, sorted) for every member, and only assigns existing partitions of topics a member subscribes to.
/// </summary>
public interface IPartitionAssignor
{
    string Name { get; }

    IReadOnlyDictionary<string, IReadOnlyList<TopicPartitionId>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic);
}
