using Akka.Actor;
using Platform.Actors.Gateway;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DescribeClusterMembers (Platform's extension, API key 32000): the cluster as the answering node sees it, with
/// what Kafka's DescribeCluster cannot carry (status, reachability, roles, partitions and groups per member), so
/// that `platform cluster status` needs no other protocol than the one every client already speaks.
/// </summary>
internal static class DescribeClusterMembersHandler
{
    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DescribeClusterMembersRequest>(ApiKey.DescribeClusterMembers, 0, 0, DescribeClusterMembersRequest.HeaderVersion,
            DescribeClusterMembersResponse.HeaderVersion, DescribeClusterMembersRequest.Read, (_, _) => HandleAsync(services));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services)
    {
        ClusterStatus status;
        try
        {
            status = await services.Gateway.Ask<ClusterStatus>(GetClusterStatus.Instance, services.RequestTimeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return new DescribeClusterMembersResponse
            {
                ErrorCode = (short)ErrorCode.RequestTimedOut,
                ErrorMessage = "The cluster's members did not all answer in time",
            };
        }
        var response = new DescribeClusterMembersResponse { Leader = status.Leader };
        foreach (var member in status.Members)
        {
            response.Members.Add(new DescribeClusterMembersResponse.ClusterMember
            {
                Address = member.Address,
                NodeId = member.Roles.Any(r => r.StartsWith(KafkaBrokers.RolePrefix, StringComparison.Ordinal)) ? KafkaBrokers.NodeId(member.Address) : -1,
                Status = member.Status,
                Roles = member.Roles.ToList(),
                Reachable = member.Reachable,
                Partitions = member.Partitions,
                Groups = member.Groups,
            });
        }
        return response;
    }
}
