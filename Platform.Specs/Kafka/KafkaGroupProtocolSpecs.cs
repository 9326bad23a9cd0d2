using Platform.Actors.Groups;
using Platform.Protocol.Groups;
using Platform.Protocol.Messages;
using Platform.Specs.Support;
using static Platform.Specs.Kafka.KafkaRequests;

namespace Platform.Specs.Kafka;

/// <summary>
/// The group APIs' exact answers on the wire, through raw requests (Platform.Protocol's codecs over a
/// TcpClient): the errors a full client would retry or hide, and the bytes DescribeGroups hands back.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class KafkaGroupProtocolSpecs(KafkaGroupFixture fixture) : IClassFixture<KafkaGroupFixture>
{
    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static Task<OffsetCommitResponse> CommitAsync(RawKafkaClient client, string group, string member, int generation,
        params (string Topic, int Partition, long Offset)[] offsets) =>
        client.SendAsync(ApiKey.OffsetCommit, 8, new OffsetCommitRequest
        {
            GroupId = group, MemberId = member, GenerationIdOrMemberEpoch = generation,
            Topics = offsets.GroupBy(o => o.Topic).Select(t => new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = t.Key,
                Partitions = t.Select(o => new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = o.Partition, CommittedOffset = o.Offset }).ToList(),
            }).ToList(),
        }, OffsetCommitRequest.HeaderVersion, OffsetCommitResponse.HeaderVersion, OffsetCommitResponse.Read);

    private static Task<DeleteGroupsResponse> DeleteAsync(RawKafkaClient client, params string[] groups) =>
        client.SendAsync(ApiKey.DeleteGroups, 2, new DeleteGroupsRequest { GroupsNames = groups.ToList() },
            DeleteGroupsRequest.HeaderVersion, DeleteGroupsResponse.HeaderVersion, DeleteGroupsResponse.Read);

    [Fact(Timeout = 60_000)]
    public async Task Fencing_errors_reach_the_client_as_Kafka_error_codes_and_DescribeGroups_returns_the_members_bytes()
    {
        var topic = NewName("raw");
        await fixture.CreateTopicAsync(topic, 2);
        var group = NewName("g");
        using var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);

        // A lone member is its own leader: it gets every member's metadata and hands in the assignment.
        var joined = await JoinAsync(client, Join(group, topic));
        Assert.Equal((short)ErrorCode.None, joined.ErrorCode);
        Assert.Equal(joined.MemberId, joined.Leader);
        Assert.Equal(Subscription(topic), Assert.Single(joined.Members).Metadata);
        var (member, generation) = (joined.MemberId, joined.GenerationId);
        var assignment = ConsumerProtocol.EncodeAssignment([new TopicPartition(topic, 0), new TopicPartition(topic, 1)]);
        var synced = await client.SendAsync(ApiKey.SyncGroup, 5, new SyncGroupRequest
        {
            GroupId = group, MemberId = member, GenerationId = generation, ProtocolType = "consumer", ProtocolName = "range",
            Assignments = [new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = member, Assignment = assignment }],
        }, SyncGroupRequest.HeaderVersion, SyncGroupResponse.HeaderVersion, SyncGroupResponse.Read);
        Assert.Equal((short)ErrorCode.None, synced.ErrorCode);
        Assert.Equal(assignment, synced.Assignment);
        Assert.Equal(("consumer", "range"), (synced.ProtocolType, synced.ProtocolName));

        Assert.Equal((short)ErrorCode.None, (await HeartbeatAsync(client, group, member, generation)).ErrorCode);
        Assert.Equal((short)ErrorCode.IllegalGeneration, (await HeartbeatAsync(client, group, member, generation + 1)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(client, group, "nobody", generation)).ErrorCode);

        var fenced = await CommitAsync(client, group, member, generation - 1, (topic, 0, 5));
        Assert.Equal((short)ErrorCode.IllegalGeneration, fenced.Topics.Single().Partitions.Single().ErrorCode);
        var committed = await CommitAsync(client, group, member, generation, (topic, 0, 5), ("no-such-topic", 0, 1));
        Assert.Equal((short)ErrorCode.None, committed.Topics.Single(t => t.Name == topic).Partitions.Single().ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, committed.Topics.Single(t => t.Name == "no-such-topic").Partitions.Single().ErrorCode);

        foreach (var version in new short[] { 1, 7 })
        {
            var fetched = await client.SendAsync(ApiKey.OffsetFetch, version, new OffsetFetchRequest
            {
                GroupId = group, Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = topic, PartitionIndexes = [0, 1] }],
            }, OffsetFetchRequest.HeaderVersion, OffsetFetchResponse.HeaderVersion, OffsetFetchResponse.Read);
            Assert.Equal(new[] { 5L, -1L }, fetched.Topics.Single().Partitions.OrderBy(p => p.PartitionIndex).Select(p => p.CommittedOffset));
        }

        var described = await client.SendAsync(ApiKey.DescribeGroups, 5, new DescribeGroupsRequest { Groups = [group] },
            DescribeGroupsRequest.HeaderVersion, DescribeGroupsResponse.HeaderVersion, DescribeGroupsResponse.Read);
        var description = Assert.Single(described.Groups);
        Assert.Equal(("Stable", "consumer", "range"), (description.GroupState, description.ProtocolType, description.ProtocolData));
        var describedMember = Assert.Single(description.Members);
        Assert.Equal((member, "raw-spec", "/127.0.0.1"), (describedMember.MemberId, describedMember.ClientId, describedMember.ClientHost));
        Assert.Equal(Subscription(topic), describedMember.MemberMetadata);
        Assert.Equal(assignment, describedMember.MemberAssignment);

        Assert.Equal((short)ErrorCode.InvalidGroupId, (await JoinAsync(client, Join("", topic))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, (await JoinAsync(client, Join(group, topic, sessionTimeoutMs: 1000))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await JoinAsync(client, Join(group, topic, memberId: "nobody"))).ErrorCode);

        var stillBusy = await DeleteAsync(client, group, NewName("never-existed"));
        Assert.Equal(new[] { (short)ErrorCode.NonEmptyGroup, (short)ErrorCode.GroupIdNotFound }, stillBusy.Results.Select(r => r.ErrorCode));

        // LeaveGroup v3+ carries a batch, with an error per member.
        var left = await client.SendAsync(ApiKey.LeaveGroup, 4, new LeaveGroupRequest
        {
            GroupId = group,
            Members = [new LeaveGroupRequest.MemberIdentity { MemberId = "nobody" }, new LeaveGroupRequest.MemberIdentity { MemberId = member }],
        }, LeaveGroupRequest.HeaderVersion, LeaveGroupResponse.HeaderVersion, LeaveGroupResponse.Read);
        Assert.Equal((short)ErrorCode.None, left.ErrorCode);
        Assert.Equal(new[] { (short)ErrorCode.UnknownMemberId, (short)ErrorCode.None }, left.Members.Select(m => m.ErrorCode));
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(client, group, member, generation)).ErrorCode);
        Assert.Equal((short)ErrorCode.None, Assert.Single((await DeleteAsync(client, group)).Results).ErrorCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_member_whose_connection_closes_is_removed_at_once_and_the_group_lists_by_state()
    {
        var topic = NewName("raw");
        await fixture.CreateTopicAsync(topic, 2);
        var group = NewName("g");
        var crashing = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        var joined = await JoinAsync(crashing, Join(group, topic, sessionTimeoutMs: 30_000), version: 0);
        Assert.Equal((short)ErrorCode.None, joined.ErrorCode);

        using var observer = await RawKafkaClient.ConnectAsync(fixture.Bootstrap);
        Task<ListGroupsResponse> ListAsync(params string[] states) => observer.SendAsync(ApiKey.ListGroups, 4,
            new ListGroupsRequest { StatesFilter = states.ToList() }, ListGroupsRequest.HeaderVersion, ListGroupsResponse.HeaderVersion, ListGroupsResponse.Read);
        var listed = Assert.Single((await ListAsync("CompletingRebalance")).Groups, g => g.GroupId == group);
        Assert.Equal("consumer", listed.ProtocolType);
        Assert.DoesNotContain((await ListAsync("Stable", "Empty")).Groups, g => g.GroupId == group);

        crashing.Dispose(); // no LeaveGroup: only the closed connection tells
        await Eventually.TrueAsync(async () => (await ListAsync("Empty")).Groups.Any(g => g.GroupId == group),
            "the member gone long before its 30 s session timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
    }
}
