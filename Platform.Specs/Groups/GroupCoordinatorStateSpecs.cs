using Platform.Actors;
using Platform.Actors.Configuration;
using Platform.Actors.Groups;
using Platform.Protocol.Groups;

namespace Platform.Specs.Groups;

/// <summary>The classic group protocol's state machine, without actors: every transition and error.</summary>
public class GroupCoordinatorStateSpecs
{
    private static readonly GroupSettings Settings = new(NumberOfShards: 10, InitialRebalanceDelay: TimeSpan.Zero, MinSessionTimeoutMs: 1000,
        MaxSessionTimeoutMs: 60_000, MaxRebalanceTimeoutMs: 120_000, MaxSize: 3, OffsetMetadataMaxBytes: 16, MaxGroupIdLength: 249,
        PassivateIdleAfter: TimeSpan.FromMinutes(1), OffsetsRetention: TimeSpan.FromMinutes(10), SnapshotEvery: 100, Tick: TimeSpan.FromMilliseconds(100), RegistrationRetry: TimeSpan.FromSeconds(1),
        JournalCheckTimeout: TimeSpan.FromSeconds(5));

    private readonly GroupCoordinatorState _group = new("g", Settings);
    private int _ids;
    private long _now = 1_000_000;

    public GroupCoordinatorStateSpecs() =>
        _group.UpdateTopics(new Dictionary<string, int> { ["t"] = 4, ["u"] = 2 }, _now);

    private sealed record Handle(string Name);

    private static JoinGroup Join(string memberId = "", string[]? topics = null, string assignor = "range", bool server = true,
        int session = 10_000, int rebalance = 5_000, string? instance = null, object? memberRef = null) =>
        new("g", memberId, instance, "consumer",
            [new GroupProtocol(assignor, ConsumerProtocol.EncodeSubscription(new ConsumerSubscription(topics ?? ["t"], [])))],
            session, rebalance, "client", "host", null, server);

    private List<GroupEffect> DoJoin(JoinGroup join, Handle reply) => _group.Join(join, reply, _now, () => $"m{++_ids}");

    private static T ReplyFor<T>(IEnumerable<GroupEffect> effects, Handle handle) =>
        effects.OfType<ReplyTo>().Where(r => Equals(r.Target, handle)).Select(r => r.Message).OfType<T>().Single();

    private (string A, string B) TwoMembersStable()
    {
        var a = new Handle("a");
        var first = DoJoin(Join(), a);
        var joinA = ReplyFor<JoinGroupResult>(first, a); // initial delay 0: completes at once with one member
        Assert.Equal(ErrorCode.None, joinA.Error);
        var b = new Handle("b");
        var effects = DoJoin(Join(), b);
        Assert.Equal(GroupStateName.PreparingRebalance, _group.State);
        Assert.DoesNotContain(effects.OfType<ReplyTo>(), r => Equals(r.Target, b));
        var a2 = new Handle("a2");
        effects = DoJoin(Join(joinA.MemberId), a2);
        var resultA = ReplyFor<JoinGroupResult>(effects, a2);
        var resultB = ReplyFor<JoinGroupResult>(effects, b);
        Assert.Equal(GroupStateName.Stable, _group.State);
        Assert.Equal(2, resultA.GenerationId);
        Assert.Equal(resultA.GenerationId, resultB.GenerationId);
        return (resultA.MemberId, resultB.MemberId);
    }

    private IReadOnlyList<TopicPartition> Assignment(string member)
    {
        var sync = new Handle("sync-" + member);
        var result = ReplyFor<SyncGroupResult>(_group.Sync(new SyncGroup("g", member, _group.GenerationId, null, []), sync, _now), sync);
        Assert.Equal(ErrorCode.None, result.Error);
        return ConsumerProtocol.DecodeAssignment(result.Assignment);
    }

    [Fact]
    public void A_first_member_gets_every_partition_and_a_second_splits_them_in_a_new_generation()
    {
        var (a, b) = TwoMembersStable();
        var assignedA = Assignment(a);
        var assignedB = Assignment(b);
        Assert.Equal(4, assignedA.Count + assignedB.Count);
        Assert.Empty(assignedA.Intersect(assignedB));
        Assert.Equal("range", _group.ProtocolName);
        Assert.Equal(a, _group.LeaderId);
    }

    [Fact]
    public void In_a_group_mixing_native_members_and_Kafka_clients_a_Kafka_client_leads_and_assigns()
    {
        var native = new Handle("native");
        var nativeId = ReplyFor<JoinGroupResult>(DoJoin(Join(server: true), native), native).MemberId;
        var kafka = new Handle("kafka");
        DoJoin(Join(server: false), kafka);
        var nativeRejoin = new Handle("native-rejoin");
        var effects = DoJoin(Join(nativeId, server: true), nativeRejoin);
        var leader = ReplyFor<JoinGroupResult>(effects, kafka);
        var follower = ReplyFor<JoinGroupResult>(effects, nativeRejoin);
        Assert.Equal(GroupStateName.CompletingRebalance, _group.State);
        Assert.Equal(leader.MemberId, leader.LeaderId);
        Assert.Equal(leader.MemberId, follower.LeaderId);
        Assert.Equal(2, leader.Members.Count);
        Assert.Empty(follower.Members);

        var assignment = ConsumerProtocol.EncodeAssignment([new TopicPartition("t", 0)]);
        var sync = new Handle("sync");
        var synced = _group.Sync(new SyncGroup("g", leader.MemberId, leader.GenerationId, null,
            [new SyncGroupAssignment(nativeId, assignment), new SyncGroupAssignment(leader.MemberId, [])]), sync, _now);
        Assert.Equal(ErrorCode.None, ReplyFor<SyncGroupResult>(synced, sync).Error);
        Assert.Equal(new[] { new TopicPartition("t", 0) }, Assignment(nativeId));
        var described = _group.Describe().Members.Single(m => m.MemberId == nativeId);
        Assert.Equal(assignment, described.MemberAssignment);
        Assert.NotEmpty(described.MemberMetadata);
    }

    [Fact]
    public void The_initial_rebalance_waits_for_the_configured_delay()
    {
        var group = new GroupCoordinatorState("g", Settings with { InitialRebalanceDelay = TimeSpan.FromSeconds(3) });
        group.UpdateTopics(new Dictionary<string, int> { ["t"] = 4 }, _now);
        var a = new Handle("a");
        Assert.Empty(group.Join(Join(), a, _now, () => "m1").OfType<ReplyTo>());
        Assert.Equal(GroupStateName.PreparingRebalance, group.State);
        Assert.Empty(group.Tick(_now + 2_000).OfType<ReplyTo>());
        var done = group.Tick(_now + 3_001);
        Assert.Equal(ErrorCode.None, ReplyFor<JoinGroupResult>(done, a).Error);
        Assert.Equal(GroupStateName.Stable, group.State);
    }

    [Fact]
    public void Heartbeats_answer_per_state_and_fence_unknown_members_and_old_generations()
    {
        var (a, b) = TwoMembersStable();
        Assert.Equal(ErrorCode.None, _group.Heartbeat(new Heartbeat("g", a, _group.GenerationId, null), _now).Error);
        Assert.Equal(ErrorCode.IllegalGeneration, _group.Heartbeat(new Heartbeat("g", a, _group.GenerationId - 1, null), _now).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, _group.Heartbeat(new Heartbeat("g", "nobody", _group.GenerationId, null), _now).Error);
        DoJoin(Join(), new Handle("c")); // a third member starts a rebalance
        Assert.Equal(ErrorCode.RebalanceInProgress, _group.Heartbeat(new Heartbeat("g", b, _group.GenerationId, null), _now).Error);
    }

    [Fact]
    public void A_member_that_misses_its_session_timeout_is_removed_and_the_rest_rebalance()
    {
        var (a, b) = TwoMembersStable();
        _now += 6_000;
        _group.Heartbeat(new Heartbeat("g", a, _group.GenerationId, null), _now);
        _now += 6_000; // b silent for 12 s > 10 s
        _group.Tick(_now);
        Assert.Equal(GroupStateName.PreparingRebalance, _group.State);
        Assert.DoesNotContain(_group.Members, m => m.MemberId == b);
        var rejoin = new Handle("a-rejoin");
        var effects = DoJoin(Join(a), rejoin);
        Assert.Equal(ErrorCode.None, ReplyFor<JoinGroupResult>(effects, rejoin).Error);
        Assert.Equal(4, Assignment(a).Count);
    }

    [Fact]
    public void Members_that_do_not_rejoin_within_the_rebalance_timeout_are_removed()
    {
        var (a, b) = TwoMembersStable();
        DoJoin(Join(), new Handle("c"));
        var rejoinA = new Handle("ra");
        DoJoin(Join(a), rejoinA);
        _now += 5_001; // b never rejoins; rebalance timeout 5 s
        var effects = _group.Tick(_now);
        Assert.Equal(ErrorCode.None, ReplyFor<JoinGroupResult>(effects, rejoinA).Error);
        Assert.DoesNotContain(_group.Members, m => m.MemberId == b);
        Assert.Equal(2, _group.Members.Count);
    }

    [Fact]
    public void Leaving_moves_the_partitions_and_the_last_member_leaving_empties_the_group()
    {
        var (a, b) = TwoMembersStable();
        var leave = new Handle("leave");
        Assert.Equal(ErrorCode.None, ReplyFor<LeaveGroupResult>(_group.Leave(new LeaveGroup("g", b, null), leave, _now), leave).Error);
        var rejoin = new Handle("ra");
        DoJoin(Join(a), rejoin);
        Assert.Equal(4, Assignment(a).Count);
        _group.Leave(new LeaveGroup("g", a, null), new Handle("l2"), _now);
        Assert.Equal(GroupStateName.Empty, _group.State);
        Assert.Equal(ErrorCode.UnknownMemberId, ReplyFor<LeaveGroupResult>(_group.Leave(new LeaveGroup("g", a, null), leave, _now), leave).Error);
    }

    [Fact]
    public void A_watched_member_that_dies_is_removed_at_once()
    {
        var (a, b) = TwoMembersStable();
        var memberRef = new object(); // the actor puts the member's IActorRef here; the state machine only compares it
        _group.Members.Single(m => m.MemberId == b).Ref = memberRef;
        var effects = _group.MemberTerminated(memberRef, _now);
        Assert.Contains(effects, e => e is UnwatchMember u && u.Ref == memberRef);
        Assert.DoesNotContain(_group.Members, m => m.MemberId == b);
        Assert.Equal(GroupStateName.PreparingRebalance, _group.State);
        DoJoin(Join(a), new Handle("ra"));
        Assert.Equal(4, Assignment(a).Count);
    }

    [Fact]
    public void A_rejoin_with_a_new_subscription_rebalances()
    {
        var (a, b) = TwoMembersStable();
        var rejoin = new Handle("ra");
        DoJoin(Join(a, topics: ["t", "u"]), rejoin);
        Assert.Equal(GroupStateName.PreparingRebalance, _group.State);
        var rb = new Handle("rb");
        var effects = DoJoin(Join(b, topics: ["t", "u"]), rb);
        Assert.Equal(ErrorCode.None, ReplyFor<JoinGroupResult>(effects, rb).Error);
        Assert.Equal(6, Assignment(a).Count + Assignment(b).Count);
    }

    [Fact]
    public void A_subscribed_topic_gaining_partitions_rebalances_a_stable_group()
    {
        var (a, b) = TwoMembersStable();
        _group.UpdateTopics(new Dictionary<string, int> { ["t"] = 4, ["u"] = 2, ["other"] = 9 }, _now);
        Assert.Equal(GroupStateName.Stable, _group.State); // an unsubscribed topic changes nothing
        _group.UpdateTopics(new Dictionary<string, int> { ["t"] = 6, ["u"] = 2 }, _now);
        Assert.Equal(GroupStateName.PreparingRebalance, _group.State);
        DoJoin(Join(a), new Handle("ra"));
        DoJoin(Join(b), new Handle("rb"));
        Assert.Equal(6, Assignment(a).Count + Assignment(b).Count);
    }

    [Fact]
    public void A_static_member_coming_back_gets_its_partitions_without_a_rebalance()
    {
        var a = new Handle("a");
        var joinA = ReplyFor<JoinGroupResult>(DoJoin(Join(instance: "inst-a"), a), a);
        var b = new Handle("b");
        DoJoin(Join(instance: "inst-b"), b);
        DoJoin(Join(joinA.MemberId, instance: "inst-a"), new Handle("ra"));
        var generation = _group.GenerationId;
        var before = Assignment(_group.Members.Single(m => m.GroupInstanceId == "inst-b").MemberId);

        // inst-b restarts: a new join without member id but with its instance id.
        var again = new Handle("b-again");
        var result = ReplyFor<JoinGroupResult>(DoJoin(Join(instance: "inst-b"), again), again);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(generation, result.GenerationId);
        Assert.Equal(GroupStateName.Stable, _group.State);
        Assert.Equal(before, Assignment(result.MemberId));
        // The old incarnation is fenced.
        var old = _group.Heartbeat(new Heartbeat("g", "m2", generation, "inst-b"), _now);
        Assert.Equal(ErrorCode.FencedInstanceId, old.Error);
    }

    [Fact]
    public void Kafka_clients_get_the_leader_assigned_flow_relayed_through_sync()
    {
        var a = new Handle("a");
        var joinA = ReplyFor<JoinGroupResult>(DoJoin(Join(server: false), a), a);
        Assert.Equal(joinA.MemberId, joinA.LeaderId);
        Assert.Single(joinA.Members); // the leader sees every member's metadata
        Assert.Equal(GroupStateName.CompletingRebalance, _group.State);

        Assert.Equal(ErrorCode.RebalanceInProgress, _group.CheckCommit(joinA.MemberId, joinA.GenerationId, null).Error);

        var sync = new Handle("sync");
        var assignment = ConsumerProtocol.EncodeAssignment([new TopicPartition("t", 0), new TopicPartition("t", 3)]);
        var synced = ReplyFor<SyncGroupResult>(_group.Sync(new SyncGroup("g", joinA.MemberId, joinA.GenerationId, null,
            [new SyncGroupAssignment(joinA.MemberId, assignment)]), sync, _now), sync);
        Assert.Equal(assignment, synced.Assignment);
        Assert.Equal(GroupStateName.Stable, _group.State);
    }

    [Fact]
    public void Followers_sync_waits_for_the_leaders_assignment()
    {
        var a = new Handle("a");
        var joinA = ReplyFor<JoinGroupResult>(DoJoin(Join(server: false), a), a);
        var syncA = new Handle("sa");
        _group.Sync(new SyncGroup("g", joinA.MemberId, joinA.GenerationId, null, [new SyncGroupAssignment(joinA.MemberId, [])]), syncA, _now);
        var b = new Handle("b");
        DoJoin(Join(server: false), b);
        var ra = new Handle("ra");
        var effects = DoJoin(Join(joinA.MemberId, server: false), ra);
        var joinB = ReplyFor<JoinGroupResult>(effects, b);
        Assert.Empty(joinB.Members); // only the leader gets the member list
        var sb = new Handle("sb");
        Assert.Empty(_group.Sync(new SyncGroup("g", joinB.MemberId, joinB.GenerationId, null, []), sb, _now));
        var leaderSync = new Handle("ls");
        var done = _group.Sync(new SyncGroup("g", joinA.MemberId, joinB.GenerationId, null,
            [new SyncGroupAssignment(joinB.MemberId, [7, 7])]), leaderSync, _now);
        Assert.Equal([7, 7], ReplyFor<SyncGroupResult>(done, sb).Assignment);
    }

    [Fact]
    public void Commits_are_fenced_by_member_generation_and_state()
    {
        var (a, _) = TwoMembersStable();
        Assert.Equal(ErrorCode.None, _group.CheckCommit(a, _group.GenerationId, null).Error);
        Assert.Equal(ErrorCode.IllegalGeneration, _group.CheckCommit(a, _group.GenerationId - 1, null).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, _group.CheckCommit("stranger", _group.GenerationId, null).Error);
        Assert.Equal(ErrorCode.UnknownMemberId, _group.CheckCommit("", -1, null).Error); // standalone, but the group is active
        DoJoin(Join(), new Handle("c"));
        Assert.Equal(ErrorCode.None, _group.CheckCommit(a, _group.GenerationId, null).Error); // PreparingRebalance: Kafka accepts
    }

    [Fact]
    public void Standalone_commits_are_allowed_while_the_group_is_empty()
    {
        Assert.Equal(ErrorCode.None, _group.CheckCommit("", -1, null).Error);
        _group.ApplyCommitted([new CommittedOffset("t", 0, 5, null, 1)]);
        Assert.Equal(5, _group.Offsets[new TopicPartition("t", 0)].Offset);
    }

    [Theory]
    [InlineData(999)]
    [InlineData(60_001)]
    public void Session_timeouts_outside_the_configured_bounds_are_InvalidSessionTimeout(int session)
    {
        var h = new Handle("a");
        Assert.Equal(ErrorCode.InvalidSessionTimeout, ReplyFor<JoinGroupResult>(DoJoin(Join(session: session), h), h).Error);
        Assert.Empty(_group.Members);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(120_001)]
    public void Rebalance_timeouts_outside_the_configured_bound_are_InvalidSessionTimeout(int rebalance)
    {
        var h = new Handle("a");
        var reply = ReplyFor<JoinGroupResult>(DoJoin(Join(rebalance: rebalance), h), h);
        Assert.Equal(ErrorCode.InvalidSessionTimeout, reply.Error);
        Assert.Contains("max-rebalance-timeout", reply.ErrorMessage);
        Assert.Empty(_group.Members);
        Assert.Equal(ErrorCode.None, ReplyFor<JoinGroupResult>(DoJoin(Join(rebalance: 120_000), h), h).Error);
    }

    [Fact]
    public void Commit_metadata_over_the_bound_is_OffsetMetadataTooLarge_and_counted_in_utf8_bytes()
    {
        Assert.Equal(ErrorCode.None, _group.CheckEntry(new OffsetCommitEntry("t", 0, 1, new string('a', 16))));
        Assert.Equal(ErrorCode.None, _group.CheckEntry(new OffsetCommitEntry("t", 0, 1, null)));
        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, _group.CheckEntry(new OffsetCommitEntry("t", 0, 1, new string('a', 17))));
        Assert.Equal(ErrorCode.OffsetMetadataTooLarge, _group.CheckEntry(new OffsetCommitEntry("t", 0, 1, new string('é', 9)))); // 18 bytes
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, _group.CheckEntry(new OffsetCommitEntry("t", 4, 1, null)));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, _group.CheckEntry(new OffsetCommitEntry("nope", 0, 1, null)));
    }

    [Fact]
    public void Retention_of_an_empty_group_counts_from_its_last_commit_also_after_a_restart()
    {
        var retention = (long)TimeSpan.FromMinutes(10).TotalMilliseconds;
        var lastCommit = _now + 5 * 60_000;
        var history = new[] { new CommittedOffset("t", 0, 5, null, _now), new CommittedOffset("t", 1, 7, null, lastCommit) };
        // A coordinator started again (after passivation) half an hour later replays the commits first.
        var restarted = new GroupCoordinatorState("g", Settings);
        restarted.ApplyCommitted(history);
        restarted.MarkRecovered(_now + 30 * 60_000);
        Assert.Equal(lastCommit + retention, restarted.OffsetsExpireAtMs);
        Assert.Empty(restarted.ExpiredOffsets(lastCommit + retention));
        Assert.Equal(2, restarted.ExpiredOffsets(lastCommit + retention + 1).Count);
    }

    [Fact]
    public void A_member_without_a_common_protocol_is_InconsistentGroupProtocol()
    {
        TwoMembersStable();
        var h = new Handle("x");
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, ReplyFor<JoinGroupResult>(DoJoin(Join(assignor: "roundrobin"), h), h).Error);
        var other = new Handle("y");
        Assert.Equal(ErrorCode.InconsistentGroupProtocol, ReplyFor<JoinGroupResult>(DoJoin(Join() with { ProtocolType = "connect" }, other), other).Error);
        Assert.Equal(2, _group.Members.Count);
    }

    [Fact]
    public void A_group_at_max_size_refuses_more_members()
    {
        TwoMembersStable();
        DoJoin(Join(), new Handle("c")); // third: max size 3
        var h = new Handle("d");
        Assert.Equal(ErrorCode.GroupMaxSizeReached, ReplyFor<JoinGroupResult>(DoJoin(Join(), h), h).Error);
    }

    [Fact]
    public void Offsets_of_a_group_empty_past_retention_expire()
    {
        _group.MarkRecovered(_now);
        _group.ApplyCommitted([new CommittedOffset("t", 0, 5, null, 1)]);
        Assert.Empty(_group.ExpiredOffsets(_now + 60_000));
        Assert.Equal([new TopicPartition("t", 0)], _group.ExpiredOffsets(_now + (long)TimeSpan.FromMinutes(11).TotalMilliseconds));
    }

    [Fact]
    public void Unknown_member_ids_cannot_join_or_sync()
    {
        var h = new Handle("a");
        Assert.Equal(ErrorCode.UnknownMemberId, ReplyFor<JoinGroupResult>(DoJoin(Join("ghost"), h), h).Error);
        var s = new Handle("s");
        Assert.Equal(ErrorCode.UnknownMemberId, ReplyFor<SyncGroupResult>(_group.Sync(new SyncGroup("g", "ghost", 1, null, []), s, _now), s).Error);
    }

    [Fact]
    public void A_static_member_whose_process_dies_keeps_its_partitions_until_its_session_times_out()
    {
        var a = new Handle("a");
        var joined = ReplyFor<JoinGroupResult>(DoJoin(Join(instance: "inst"), a), a);
        var memberRef = new object();
        _group.Members[0].Ref = memberRef;
        _group.MemberTerminated(memberRef, _now);
        Assert.Equal(GroupStateName.Stable, _group.State);
        Assert.Single(_group.Members);
        _now += 10_001;
        _group.Tick(_now);
        Assert.Empty(_group.Members);
        Assert.NotEqual("", joined.MemberId);
    }
}
