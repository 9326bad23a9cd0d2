using Akka.Actor;
using Akka.TestKit;
using Platform.Actors;
using Platform.Actors.Groups;
using Platform.Protocol.Groups;
using Platform.Specs.Support;

namespace Platform.Specs.Groups;

/// <summary>
/// The coordinator actor's protocol through a real node's gateway and group shard region, with TestKit
/// probes as members: join, sync, heartbeat, leave, session expiry, DeathWatch and persisted offsets.
/// </summary>
public sealed class GroupCoordinatorSpecs(NodeFixture node) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static JoinGroup Join(string group, string memberId, IActorRef? memberRef, int sessionMs = 6000) =>
        new(group, memberId, null, ConsumerProtocol.ProtocolType,
            [new GroupProtocol("roundrobin", ConsumerProtocol.EncodeSubscription(new ConsumerSubscription(["gt"], [])))],
            sessionMs, 3000, "spec", "localhost", memberRef, ServerAssignment: true);

    private (TestProbe Probe, JoinGroupResult Joined) Member(string group, TestProbe? memberActor = null, int sessionMs = 6000)
    {
        var probe = node.Probe();
        node.Node.Gateway.Tell(Join(group, "", memberActor?.Ref, sessionMs), probe.Ref);
        return (probe, probe.ExpectMsg<JoinGroupResult>(Wait));
    }

    private IReadOnlyList<TopicPartition> Sync(TestProbe probe, string group, JoinGroupResult joined)
    {
        node.Node.Gateway.Tell(new SyncGroup(group, joined.MemberId, joined.GenerationId, null, []), probe.Ref);
        var synced = probe.ExpectMsg<SyncGroupResult>(Wait);
        Assert.Equal(ErrorCode.None, synced.Error);
        return ConsumerProtocol.DecodeAssignment(synced.Assignment);
    }

    private HeartbeatResult Heartbeat(TestProbe probe, string group, string member, int generation)
    {
        node.Node.Gateway.Tell(new Heartbeat(group, member, generation, null), probe.Ref);
        return probe.ExpectMsg<HeartbeatResult>(Wait);
    }

    private void EnsureTopic()
    {
        var probe = node.Probe();
        node.Node.Gateway.Tell(new Platform.Actors.Topics.CreateTopic("gt", 4, new Dictionary<string, string>()), probe.Ref);
        probe.ExpectMsg<Platform.Actors.Topics.TopicCommandResult>(Wait);
    }

    [Fact]
    public void Join_sync_heartbeat_and_leave_through_the_coordinator()
    {
        EnsureTopic();
        var group = $"g-{Guid.NewGuid():N}";
        var (a, joinedA) = Member(group); // initial rebalance delay: the node's default 3 s
        Assert.Equal(ErrorCode.None, joinedA.Error);
        Assert.Equal(4, Sync(a, group, joinedA).Count);
        Assert.Equal(ErrorCode.None, Heartbeat(a, group, joinedA.MemberId, joinedA.GenerationId).Error);

        // A second member: the first hears of the rebalance in its heartbeat and rejoins.
        var b = node.Probe();
        node.Node.Gateway.Tell(Join(group, "", null), b.Ref);
        node.Kit.AwaitAssert(() => Assert.Equal(ErrorCode.RebalanceInProgress, Heartbeat(a, group, joinedA.MemberId, joinedA.GenerationId).Error), Wait);
        node.Node.Gateway.Tell(Join(group, joinedA.MemberId, null), a.Ref);
        var rejoinedA = a.ExpectMsg<JoinGroupResult>(Wait);
        var joinedB = b.ExpectMsg<JoinGroupResult>(Wait);
        Assert.Equal(rejoinedA.GenerationId, joinedB.GenerationId);
        Assert.Equal(2, Sync(a, group, rejoinedA).Count);
        Assert.Equal(2, Sync(b, group, joinedB).Count);

        node.Node.Gateway.Tell(new LeaveGroup(group, joinedB.MemberId, null), b.Ref);
        Assert.Equal(ErrorCode.None, b.ExpectMsg<LeaveGroupResult>(Wait).Error);
        Assert.Equal(ErrorCode.RebalanceInProgress, Heartbeat(a, group, rejoinedA.MemberId, rejoinedA.GenerationId).Error);
    }

    [Fact]
    public void A_member_that_stops_heartbeating_is_expired_after_its_session_timeout()
    {
        EnsureTopic();
        var group = $"g-{Guid.NewGuid():N}";
        var (a, joined) = Member(group, sessionMs: 6000);
        Sync(a, group, joined);
        node.Kit.AwaitAssert(() =>
        {
            node.Node.Gateway.Tell(new DescribeGroup(group), a.Ref);
            var d = a.ExpectMsg<GroupDescription>(Wait);
            Assert.Equal("Empty", d.State);
            Assert.Empty(d.Members);
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500));
        Assert.Equal(ErrorCode.UnknownMemberId, Heartbeat(a, group, joined.MemberId, joined.GenerationId).Error);
    }

    [Fact]
    public void A_watched_member_actor_that_stops_is_removed_without_waiting_for_its_session()
    {
        EnsureTopic();
        var group = $"g-{Guid.NewGuid():N}";
        var memberActor = node.Probe();
        var (a, joined) = Member(group, memberActor, sessionMs: 60_000);
        Sync(a, group, joined);
        node.Kit.Sys.Stop(memberActor.Ref);
        node.Kit.AwaitAssert(() =>
        {
            node.Node.Gateway.Tell(new DescribeGroup(group), a.Ref);
            Assert.Empty(a.ExpectMsg<GroupDescription>(Wait).Members);
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Commits_are_fenced_and_committed_offsets_are_fetched_back()
    {
        EnsureTopic();
        var group = $"g-{Guid.NewGuid():N}";
        var (a, joined) = Member(group);
        Sync(a, group, joined);
        node.Node.Gateway.Tell(new OffsetCommit(group, joined.MemberId, joined.GenerationId, null, [new OffsetCommitEntry("gt", 1, 42, "checkpoint")]), a.Ref);
        Assert.All(a.ExpectMsg<OffsetCommitResult>(Wait).Partitions, p => Assert.Equal(ErrorCode.None, p.Error));
        node.Node.Gateway.Tell(new OffsetCommit(group, joined.MemberId, joined.GenerationId - 1, null, [new OffsetCommitEntry("gt", 1, 50, null)]), a.Ref);
        Assert.Equal(ErrorCode.IllegalGeneration, a.ExpectMsg<OffsetCommitResult>(Wait).Error);
        node.Node.Gateway.Tell(new OffsetCommit(group, "stranger", joined.GenerationId, null, [new OffsetCommitEntry("gt", 1, 50, null)]), a.Ref);
        Assert.Equal(ErrorCode.UnknownMemberId, a.ExpectMsg<OffsetCommitResult>(Wait).Error);

        node.Node.Gateway.Tell(new OffsetFetch(group, [new TopicPartition("gt", 1), new TopicPartition("gt", 2)]), a.Ref);
        var fetched = a.ExpectMsg<OffsetFetchResult>(Wait).Offsets;
        Assert.Equal((42L, "checkpoint"), (fetched[0].Offset, fetched[0].Metadata));
        Assert.Equal(-1, fetched[1].Offset);
    }

    [Fact]
    public void A_group_that_does_not_exist_is_described_as_Dead_and_a_live_one_is_listed_with_its_state()
    {
        EnsureTopic();
        var probe = node.Probe();
        node.Node.Gateway.Tell(new DescribeGroup($"g-{Guid.NewGuid():N}"), probe.Ref);
        Assert.Equal("Dead", probe.ExpectMsg<GroupDescription>(Wait).State);

        var group = $"g-{Guid.NewGuid():N}";
        var (a, joined) = Member(group);
        Sync(a, group, joined);
        node.Kit.AwaitAssert(() =>
        {
            node.Node.Gateway.Tell(new ListGroupStates(["Stable"]), probe.Ref);
            Assert.Contains(new ListedGroup(group, ConsumerProtocol.ProtocolType, "Stable"), probe.ExpectMsg<ListedGroups>(Wait).Groups);
        }, Wait, TimeSpan.FromMilliseconds(100));
        node.Node.Gateway.Tell(new LeaveGroup(group, joined.MemberId, null), a.Ref);
        a.ExpectMsg<LeaveGroupResult>(Wait);
        node.Kit.AwaitAssert(() =>
        {
            node.Node.Gateway.Tell(new ListGroupStates([]), probe.Ref);
            Assert.Contains(new ListedGroup(group, ConsumerProtocol.ProtocolType, "Empty"), probe.ExpectMsg<ListedGroups>(Wait).Groups);
        }, Wait, TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_empty_group_id_is_InvalidGroupId()
    {
        var probe = node.Probe();
        node.Node.Gateway.Tell(Join("", "", null), probe.Ref);
        Assert.Equal(ErrorCode.InvalidGroupId, probe.ExpectMsg<JoinGroupResult>(Wait).Error);
    }
}
