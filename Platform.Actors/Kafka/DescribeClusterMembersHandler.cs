using Akka.Cluster;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DescribeClusterMembers (Platform's extension, API key 32000): the cluster as the answering node sees it, with
/// what Kafka's DescribeCluster cannot carry (status, reachability, roles, partitions and groups per member), so
/// that `platform cluster status` needs no other protocol than the one every client already speaks.
/// <para>
/// Answered from what the node already holds, without asking any actor, so that it answers at once even while a
/// member is unreachable (it waited for every shard region's statistics before, up to the request timeout, issue #14).
/// Membership and reachability come from the node's cluster state. A member's partitions are the partitions whose
/// leader Metadata names it (<see cref="KafkaServices.LeaderOf"/> over the node's topic cache): the same source as
/// `topics describe`, so the two agree and the counts add up to the topics' partitions. Its group coordinators are
/// from the node's last placement refresh (<c>platform.kafka.placement-refresh</c>); an unreachable member is marked
/// so, and what it hosts is as last seen.
/// </para>
/// </summary>
internal static class DescribeClusterMembersHandler
{
    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DescribeClusterMembersRequest>(ApiKey.DescribeClusterMembers, 0, 0, DescribeClusterMembersRequest.HeaderVersion,
            DescribeClusterMembersResponse.HeaderVersion, DescribeClusterMembersRequest.Read, (_, _) => Task.FromResult<IKafkaMessage?>(Describe(services)));

    internal static DescribeClusterMembersResponse Describe(KafkaServices services)
    {
        var state = Cluster.Get(services.System).State;
        var led = new Dictionary<int, int>();
        foreach (var topic in services.Topics.All)
        for (var partition = 0; partition < topic.PartitionCount; partition++)
        {
            var leader = services.LeaderOf(topic.TopicId, partition);
            led[leader] = led.GetValueOrDefault(leader) + 1;
        }
        var response = new DescribeClusterMembersResponse { Leader = state.Leader is { } l ? $"{l.Host}:{l.Port}" : "" };
        foreach (var member in state.Members)
        {
            var roles = member.Roles.OrderBy(r => r, StringComparer.Ordinal).ToList();
            var nodeId = KafkaBrokers.NodeId(member.Address);
            response.Members.Add(new DescribeClusterMembersResponse.ClusterMember
            {
                Address = $"{member.Address.Host}:{member.Address.Port}",
                NodeId = roles.Any(r => r.StartsWith(KafkaBrokers.RolePrefix, StringComparison.Ordinal)) ? nodeId : -1,
                Status = member.Status.ToString(),
                Roles = roles,
                Reachable = !state.Unreachable.Contains(member),
                Partitions = led.GetValueOrDefault(nodeId),
                Groups = services.Placement.GroupCoordinatorsOn(member.Address),
            });
        }
        return response;
    }
}
