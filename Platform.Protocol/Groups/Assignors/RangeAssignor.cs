namespace Platform.Protocol.Groups;

/// <summary>Kafka's RangeAssignor: per topic, contiguous ranges; the first (n mod m) members get one more.</summary>
public sealed class RangeAssignor : IPartitionAssignor
{
    public string Name => "range";

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var result = members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>());
        foreach (var (topic, count) in partitionsPerTopic.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var subscribers = members.Where(m => m.Topics.Contains(topic)).OrderBy(m => m.SortKey, StringComparer.Ordinal).ToList();
            if (subscribers.Count == 0) continue;
            int per = count / subscribers.Count, extra = count % subscribers.Count;
            for (var i = 0; i < subscribers.Count; i++)
            {
                var start = per * i + Math.Min(i, extra);
                var length = per + (i < extra ? 1 : 0);
                for (var p = start; p < start + length; p++) result[subscribers[i].MemberId].Add(new TopicPartition(topic, p));
            }
        }
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<TopicPartition>)kv.Value.Order().ToList());
    }
}
