using Akka.Actor;
using Platform.Actors.Gateway;
using Platform.Actors.Groups;
using Platform.Actors.Partitions;
using Platform.Specs.Support;

namespace Platform.Specs.Gateway;

/// <summary>
/// The node's gateway: how it routes partition requests (through its topic cache, or to the registry when the
/// cache cannot tell), refuses group requests without a group id with the reply type each expects, and collects
/// the cluster's status.
/// </summary>
public sealed class GatewaySpecs(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_partition_request_for_an_unknown_topic_id_is_answered_by_the_registry_with_UnknownTopicOrPartition()
    {
        var probe = fixture.Probe();
        fixture.Node.Gateway.Tell(new GetPartitionStatus(Guid.NewGuid(), 0), probe.Ref);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, probe.ExpectMsg<PartitionStatus>(Timeout).Error);
    }

    [Fact]
    public void A_partition_beyond_the_topics_count_is_refused_and_one_within_it_is_served()
    {
        var topic = fixture.CreateTopic("gateway-routing", partitions: 2);
        var probe = fixture.Probe();
        fixture.Node.Gateway.Tell(new GetPartitionStatus(topic.TopicId, 2), probe.Ref);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, probe.ExpectMsg<PartitionStatus>(Timeout).Error);
        fixture.Node.Gateway.Tell(new GetPartitionStatus(topic.TopicId, 1), probe.Ref);
        var status = probe.ExpectMsg<PartitionStatus>(Timeout);
        Assert.Equal((ErrorCode.None, 1), (status.Error, status.Partition));
    }

    [Fact]
    public void A_group_request_without_a_group_id_gets_InvalidGroupId_in_the_reply_its_sender_expects()
    {
        var probe = fixture.Probe();
        fixture.Node.Gateway.Tell(new Heartbeat("", "member", 1, null), probe.Ref);
        Assert.Equal(ErrorCode.InvalidGroupId, probe.ExpectMsg<HeartbeatResult>(Timeout).Error);
        fixture.Node.Gateway.Tell(new OffsetFetch("", null), probe.Ref);
        Assert.Equal(ErrorCode.InvalidGroupId, probe.ExpectMsg<OffsetFetchResult>(Timeout).Error);
    }

    [Fact]
    public void The_cluster_status_names_this_node_Up_and_reachable_and_counts_what_it_hosts()
    {
        var topic = fixture.CreateTopic("gateway-status", partitions: 3);
        for (var p = 0; p < 3; p++) fixture.Status(topic, p); // each partition is started
        var probe = fixture.Probe();
        ClusterStatus status = null!;
        probe.AwaitAssert(() =>
        {
            fixture.Node.Gateway.Tell(GetClusterStatus.Instance, probe.Ref);
            status = probe.ExpectMsg<ClusterStatus>(Timeout);
            Assert.True(status.Members.Single().Partitions >= 3);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        var member = status.Members.Single();
        Assert.Equal(("Up", true), (member.Status, member.Reachable));
        Assert.Equal(member.Address, status.Leader);
    }
}
