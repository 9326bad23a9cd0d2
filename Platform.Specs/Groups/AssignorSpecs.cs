using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Platform.Protocol.Groups;

namespace Platform.Specs.Groups;

/// <summary>
/// Kafka's documented outcomes for range and round robin, and properties every assignor must keep
/// (validity, balance for identical subscriptions) plus sticky's minimal-movement guarantees. Inputs are
/// derived deterministically from primitive FsCheck values so no custom Arbitrary is needed.
/// </summary>
public class AssignorSpecs
{
    private static readonly string[] AllNames = ["range", "roundrobin", "sticky"];

    private static TopicPartition Tp(string topic, int partition) => new(topic, partition);

    private static AssignorMember Member(string id, params string[] topics) => new(id, topics, []);

    private static IPartitionAssignor Assignor(string name) => PartitionAssignors.Find(name) ?? throw new InvalidOperationException(name);

    // ---- Examples with known Kafka outcomes ----

    [Fact]
    public void Range_matches_kafkas_documented_example()
    {
        var result = new RangeAssignor().Assign(
            [Member("C1", "t0", "t1"), Member("C0", "t0", "t1")],
            new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 });

        Assert.Equal([Tp("t0", 0), Tp("t0", 1), Tp("t1", 0), Tp("t1", 1)], result["C0"]);
        Assert.Equal([Tp("t0", 2), Tp("t1", 2)], result["C1"]);
    }

    [Fact]
    public void RoundRobin_matches_kafkas_documented_example()
    {
        var result = new RoundRobinAssignor().Assign(
            [Member("C1", "t0", "t1"), Member("C0", "t0", "t1")],
            new Dictionary<string, int> { ["t0"] = 3, ["t1"] = 3 });

        Assert.Equal([Tp("t0", 0), Tp("t0", 2), Tp("t1", 1)], result["C0"]);
        Assert.Equal([Tp("t0", 1), Tp("t1", 0), Tp("t1", 2)], result["C1"]);
    }

    [Fact]
    public void RoundRobin_skips_members_not_subscribed_to_the_topic()
    {
        // Kafka's javadoc example: C0 on t0; C1 on t0,t1; C2 on t0,t1,t2 with 1, 2 and 3 partitions.
        var result = new RoundRobinAssignor().Assign(
            [Member("C0", "t0"), Member("C1", "t0", "t1"), Member("C2", "t0", "t1", "t2")],
            new Dictionary<string, int> { ["t0"] = 1, ["t1"] = 2, ["t2"] = 3 });

        Assert.Equal([Tp("t0", 0)], result["C0"]);
        Assert.Equal([Tp("t1", 0)], result["C1"]);
        Assert.Equal([Tp("t1", 1), Tp("t2", 0), Tp("t2", 1), Tp("t2", 2)], result["C2"]);
    }

    [Fact]
    public void Range_orders_members_by_group_instance_id_when_set()
    {
        var result = new RangeAssignor().Assign(
            [new AssignorMember("a", ["t"], [], "z-static"), new AssignorMember("b", ["t"], [], "y-static")],
            new Dictionary<string, int> { ["t"] = 3 });

        Assert.Equal([Tp("t", 0), Tp("t", 1)], result["b"]);
        Assert.Equal([Tp("t", 2)], result["a"]);
    }

    [Fact]
    public void Every_member_gets_an_entry_and_missing_topics_are_ignored()
    {
        foreach (var name in AllNames)
        {
            var result = Assignor(name).Assign(
                [Member("a", "t", "gone"), Member("b", "gone"), Member("c")],
                new Dictionary<string, int> { ["t"] = 2, ["unsubscribed"] = 4 });

            Assert.Equal(["a", "b", "c"], result.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([Tp("t", 0), Tp("t", 1)], result["a"]);
            Assert.Empty(result["b"]);
            Assert.Empty(result["c"]);
        }
    }

    [Fact]
    public void Sticky_keeps_previous_owners_and_drops_contested_or_stale_claims()
    {
        var result = new StickyAssignor().Assign(
            [
                new AssignorMember("a", ["t"], [Tp("t", 3), Tp("t", 0), Tp("t", 9), Tp("old", 0)]),
                new AssignorMember("b", ["t"], [Tp("t", 1), Tp("t", 0)]),
            ],
            new Dictionary<string, int> { ["t"] = 4, ["old"] = 1 });

        Assert.Contains(Tp("t", 3), result["a"]);
        Assert.Contains(Tp("t", 1), result["b"]);
        Assert.Equal(2, result["a"].Count);
        Assert.Equal(2, result["b"].Count);
        Assert.Single(new[] { result["a"], result["b"] }, l => l.Contains(Tp("t", 0)));
        Assert.DoesNotContain(result.Values.SelectMany(l => l), tp => tp.Topic == "old" || tp.Partition >= 4);
    }

    [Fact]
    public void Find_knows_kafkas_protocol_names_only()
    {
        Assert.Equal(AllNames, PartitionAssignors.Names);
        foreach (var name in AllNames) Assert.Equal(name, Assignor(name).Name);
        Assert.Null(PartitionAssignors.Find("cooperative-sticky-unknown"));
    }

    // ---- Generated scenarios ----

    /// <summary>A group and its topics derived from primitive values: 1-6 members, 1-4 topics of 0-9 partitions.</summary>
    private sealed record Scenario(List<AssignorMember> Members, Dictionary<string, int> Partitions);

    private static int At(int[] values, int i) => values.Length == 0 ? i * 7 + 3 : values[i % values.Length] & int.MaxValue;

    private static int At(byte[] values, int i) => values.Length == 0 ? i * 5 + 1 : values[i % values.Length];

    private static Scenario Build(int memberSeed, int[] partitionCounts, byte[] subscriptionBits, bool identical, int memberCount = -1)
    {
        var topicCount = 1 + At(partitionCounts, 0) % 4;
        var topics = Enumerable.Range(0, topicCount).Select(t => $"topic{t}").ToList();
        var partitions = topics.Select((t, i) => (t, At(partitionCounts, i + 1) % 10)).ToDictionary(x => x.t, x => x.Item2);
        var count = memberCount > 0 ? memberCount : 1 + (memberSeed & int.MaxValue) % 6;
        var members = Enumerable.Range(0, count).Select(i =>
        {
            // Subscriptions: everything when identical, else a bit pattern; sometimes a topic that does not exist.
            var subscribed = identical
                ? topics.ToList()
                : topics.Where((_, t) => (At(subscriptionBits, i) >> t & 1) == 1).ToList();
            if ((At(subscriptionBits, i + 3) & 0x40) != 0) subscribed.Add("missing-topic");
            // Member ids deliberately unordered, and some members carry a static instance id.
            var instance = (At(subscriptionBits, i + 5) & 0x80) != 0 ? $"static-{(count - i):D2}" : null;
            return new AssignorMember($"member-{(i * 7919) % 1000:D3}-{i}", subscribed, [], instance);
        }).ToList();
        return new Scenario(members, partitions);
    }

    private static List<TopicPartition> Subscribed(Scenario s) =>
        s.Partitions.Where(t => s.Members.Any(m => m.Topics.Contains(t.Key)))
            .SelectMany(t => Enumerable.Range(0, t.Value).Select(p => Tp(t.Key, p))).Order().ToList();

    private static void AssertValid(Scenario s, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> result)
    {
        Assert.Equal(s.Members.Select(m => m.MemberId).Order(StringComparer.Ordinal), result.Keys.Order(StringComparer.Ordinal));
        var assigned = result.Values.SelectMany(l => l).Order().ToList();
        // Every subscribed partition exactly once; nothing unsubscribed or nonexistent.
        Assert.Equal(Subscribed(s), assigned);
        foreach (var m in s.Members)
        {
            var mine = result[m.MemberId];
            Assert.All(mine, tp => Assert.Contains(tp.Topic, m.Topics));
            Assert.Equal(mine.Order(), mine);
        }
    }

    private static void AssertBalanced(IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> result)
    {
        if (result.Count == 0) return;
        var counts = result.Values.Select(l => l.Count).ToList();
        Assert.True(counts.Max() - counts.Min() <= 1, $"unbalanced: {string.Join(",", counts)}");
    }

    [Property(MaxTest = 200)]
    public void Every_assignor_assigns_each_subscribed_partition_once_to_a_subscriber(int memberSeed, int[] partitionCounts, byte[] subscriptionBits)
    {
        var s = Build(memberSeed, partitionCounts, subscriptionBits, identical: false);
        foreach (var name in AllNames) AssertValid(s, Assignor(name).Assign(s.Members, s.Partitions));
    }

    [Property(MaxTest = 200)]
    public void Round_robin_and_sticky_balance_identical_subscriptions(int memberSeed, int[] partitionCounts, byte[] subscriptionBits)
    {
        var s = Build(memberSeed, partitionCounts, subscriptionBits, identical: true);
        foreach (var name in new[] { "roundrobin", "sticky" })
        {
            var result = Assignor(name).Assign(s.Members, s.Partitions);
            AssertValid(s, result);
            AssertBalanced(result);
        }
    }

    [Property(MaxTest = 200)]
    public void Range_balances_identical_subscriptions_per_topic(int memberSeed, int[] partitionCounts, byte[] subscriptionBits)
    {
        // Range balances each topic on its own (over several topics the first members get every extra),
        // which is Kafka's behaviour; so balance is asserted per topic.
        var s = Build(memberSeed, partitionCounts, subscriptionBits, identical: true);
        var result = new RangeAssignor().Assign(s.Members, s.Partitions);
        AssertValid(s, result);
        foreach (var topic in s.Partitions.Keys)
            AssertBalanced(result.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<TopicPartition>)kv.Value.Where(tp => tp.Topic == topic).ToList()));
    }

    [Property(MaxTest = 200)]
    public void Sticky_stays_valid_and_balanced_with_arbitrary_previous_ownership(int memberSeed, int[] partitionCounts, byte[] subscriptionBits, int[] claims, bool identical)
    {
        var s = Build(memberSeed, partitionCounts, subscriptionBits, identical);
        // Claims may name stale partitions, unsubscribed topics, or partitions another member also claims.
        var members = s.Members.Select((m, i) => m with
        {
            OwnedPartitions = claims.Where((_, c) => c % s.Members.Count == i)
                .Select(c => Tp((c & 0x100) != 0 ? "gone" : $"topic{(c & int.MaxValue) % 5}", (c >> 3 & int.MaxValue) % 12)).ToList(),
        }).ToList();
        var scenario = s with { Members = members };
        var result = new StickyAssignor().Assign(members, s.Partitions);
        AssertValid(scenario, result);
        if (identical) AssertBalanced(result);
    }

    private static List<AssignorMember> WithPrevious(IEnumerable<AssignorMember> members, IReadOnlyDictionary<string, IReadOnlyList<TopicPartition>> previous) =>
        members.Select(m => m with { OwnedPartitions = previous.GetValueOrDefault(m.MemberId) ?? [] }).ToList();

    [Property(MaxTest = 200)]
    public void Sticky_changes_nothing_when_the_group_is_unchanged(int memberSeed, int[] partitionCounts, byte[] subscriptionBits)
    {
        var s = Build(memberSeed, partitionCounts, subscriptionBits, identical: true);
        var sticky = new StickyAssignor();
        var first = sticky.Assign(s.Members, s.Partitions);
        var second = sticky.Assign(WithPrevious(s.Members, first), s.Partitions);
        foreach (var m in s.Members) Assert.Equal(first[m.MemberId], second[m.MemberId]);
    }

    [Property(MaxTest = 200)]
    public void Sticky_moves_only_the_leavers_partitions_when_a_member_leaves(PositiveInt size, NonNegativeInt leaver, int[] partitionCounts, byte[] subscriptionBits)
    {
        var n = 2 + size.Get % 5;
        var s = Build(0, partitionCounts, subscriptionBits, identical: true, memberCount: n);
        var sticky = new StickyAssignor();
        var before = sticky.Assign(s.Members, s.Partitions);

        var leaving = s.Members[leaver.Get % n].MemberId;
        var remaining = WithPrevious(s.Members.Where(m => m.MemberId != leaving), before);
        var after = sticky.Assign(remaining, s.Partitions);

        AssertValid(s with { Members = remaining }, after);
        AssertBalanced(after);
        foreach (var m in remaining) Assert.All(before[m.MemberId], tp => Assert.Contains(tp, after[m.MemberId]));
    }

    [Property(MaxTest = 200)]
    public void Sticky_moves_the_minimum_number_of_partitions_when_a_member_joins(PositiveInt size, int[] partitionCounts, byte[] subscriptionBits)
    {
        var n = 1 + size.Get % 5;
        var s = Build(0, partitionCounts, subscriptionBits, identical: true, memberCount: n + 1);
        var existing = s.Members.Take(n).ToList();
        var sticky = new StickyAssignor();
        var before = sticky.Assign(existing, s.Partitions);

        var joined = WithPrevious(s.Members, before);
        var after = sticky.Assign(joined, s.Partitions);
        AssertValid(s, after);
        AssertBalanced(after);

        var total = Subscribed(s).Count;
        var owner = after.SelectMany(kv => kv.Value.Select(tp => (tp, kv.Key))).ToDictionary(x => x.tp, x => x.Key);
        var moves = before.Sum(kv => kv.Value.Count(tp => owner[tp] != kv.Key));

        // The fewest moves a balanced result allows: give the (total mod members) larger quotas to the
        // members that held the most, and every member keeps min(held, quota).
        int members = n + 1, floor = total / members, ceilings = total % members;
        var held = before.Values.Select(l => l.Count).Append(0).OrderDescending().ToList();
        var keepable = held.Select((h, i) => Math.Min(h, floor + (i < ceilings ? 1 : 0))).Sum();
        Assert.Equal(total - keepable, moves);
        Assert.True(moves <= (total + members - 1) / members, $"{moves} moves for {total} partitions over {members} members");
    }
}
