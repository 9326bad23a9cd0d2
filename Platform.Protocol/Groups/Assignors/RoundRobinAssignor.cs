namespace Platform.Protocol.Groups;

/// <summary>Kafka's RoundRobinAssignor: all partitions in order, dealt to members in turn, skipping non-subscribers.</summary>
public sealed class RoundRobinAssignor : IPartitionAssignor
{
    public string Name => "roundrobin";

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var result = members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>());
        var ordered = members.OrderBy(m => m.SortKey, StringComparer.Ordinal).ToList();
        if (ordered.Count == 0) return new Dictionary<string, IReadOnlyList<TopicPartition>>();
        var next = 0;
        foreach (var (topic, count) in partitionsPerTopic.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (!ordered.Any(m => m.Topics.Contains(topic))) continue;
            for (var p = 0; p < count; p++)
            {
                while (!ordered[next % ordered.Count].Topics.Contains(topic)) next++;
                result[ordered[next % ordered.Count].MemberId].Add(new TopicPartition(topic, p));
                next++;
            }
        }
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<TopicPartition>)kv.Value.Order().ToList());
    }
}
