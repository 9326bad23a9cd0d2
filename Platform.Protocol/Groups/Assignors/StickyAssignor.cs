namespace Platform.Protocol.Groups;

/// <summary>
/// Kafka's "sticky" goal: a balanced assignment that keeps as many partitions with their previous owner
/// as balance allows. Owned partitions are kept up to each member's quota, the rest go to the members
/// with the fewest, then partitions move from the fullest to the emptiest eligible member until counts
/// differ by at most one (guaranteed for identical subscriptions, best effort otherwise).
/// </summary>
public sealed class StickyAssignor : IPartitionAssignor
{
    public string Name => "sticky";

    public IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var ordered = members.OrderBy(m => m.SortKey, StringComparer.Ordinal).ToList();
        var result = ordered.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>());
        var all = partitionsPerTopic.OrderBy(t => t.Key, StringComparer.Ordinal)
            .Where(t => ordered.Any(m => m.Topics.Contains(t.Key)))
            .SelectMany(t => Enumerable.Range(0, t.Value).Select(p => new TopicPartition(t.Key, p))).ToList();
        if (ordered.Count == 0) return new Dictionary<string, IReadOnlyList<TopicPartition>>();
        var maxQuota = (all.Count + ordered.Count - 1) / ordered.Count;

        // Keep owned partitions that still exist and are still subscribed, each with one owner, up to the quota.
        var taken = new HashSet<TopicPartition>();
        var valid = all.ToHashSet();
        foreach (var member in ordered)
        {
            foreach (var tp in member.OwnedPartitions.Order())
            {
                if (result[member.MemberId].Count >= maxQuota) break;
                if (valid.Contains(tp) && member.Topics.Contains(tp.Topic) && taken.Add(tp)) result[member.MemberId].Add(tp);
            }
        }

        // Hand out the rest to the eligible member with the fewest partitions.
        foreach (var tp in all.Where(tp => !taken.Contains(tp)))
        {
            var target = ordered.Where(m => m.Topics.Contains(tp.Topic)).MinBy(m => result[m.MemberId].Count)!;
            result[target.MemberId].Add(tp);
        }

        // Even out: move one partition at a time from the fullest to the emptiest member that can take it.
        for (var moves = 0; moves < all.Count * ordered.Count; moves++)
        {
            var moved = false;
            foreach (var from in ordered.OrderByDescending(m => result[m.MemberId].Count))
            {
                var to = ordered.Where(m => result[m.MemberId].Count + 1 < result[from.MemberId].Count)
                    .OrderBy(m => result[m.MemberId].Count)
                    .FirstOrDefault(m => result[from.MemberId].Any(tp => m.Topics.Contains(tp.Topic)));
                if (to is null) continue;
                var tp = result[from.MemberId].Where(tp => to.Topics.Contains(tp.Topic)).OrderByDescending(tp => tp).First();
                result[from.MemberId].Remove(tp);
                result[to.MemberId].Add(tp);
                moved = true;
                break;
            }
            if (!moved) break;
        }
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<TopicPartition>)kv.Value.Order().ToList());
    }
}
