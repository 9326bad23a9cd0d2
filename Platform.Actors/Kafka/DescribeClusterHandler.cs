using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DescribeCluster: the cluster id, the Up members serving Kafka as brokers, and the cluster leader as
/// controller, the same view Metadata gives. There are no ACLs, so authorized operations are not reported.
/// </summary>
internal static class DescribeClusterHandler
{
    public const short MaxVersion = 0;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DescribeClusterRequest>(ApiKey.DescribeCluster, 0, MaxVersion, DescribeClusterRequest.HeaderVersion,
            DescribeClusterResponse.HeaderVersion, DescribeClusterRequest.Read, (_, _) => Task.FromResult<IKafkaMessage?>(Describe(services)));

    private static DescribeClusterResponse Describe(KafkaServices services)
    {
        var response = new DescribeClusterResponse
        {
            ClusterId = services.ClusterId,
            ControllerId = services.Brokers.ControllerId,
        };
        foreach (var broker in services.Brokers.Current())
            response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = broker.NodeId, Host = broker.Host, Port = broker.Port });
        return response;
    }
}
