using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// FindCoordinator: a group's coordinator is the member hosting its shard. Any node would do (requests
/// are forwarded through sharding), but naming the host saves a hop. Transaction coordinators do not
/// exist yet, so key type 1 is answered with COORDINATOR_NOT_AVAILABLE and a message saying so.
/// </summary>
internal static class FindCoordinatorHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<FindCoordinatorRequest>(ApiKey.FindCoordinator, 0, MaxVersion, FindCoordinatorRequest.HeaderVersion,
            FindCoordinatorResponse.HeaderVersion, FindCoordinatorRequest.Read, (context, request) => Task.FromResult<IKafkaMessage?>(Handle(services, context, request)));

    private static FindCoordinatorResponse Handle(KafkaServices services, RequestContext context, FindCoordinatorRequest request)
    {
        var response = new FindCoordinatorResponse();
        if (context.ApiVersion >= 4)
        {
            foreach (var key in request.CoordinatorKeys)
            {
                var (error, message, broker) = Find(services, request.KeyType, key);
                response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
                {
                    Key = key, ErrorCode = (short)error, ErrorMessage = message,
                    NodeId = broker?.NodeId ?? -1, Host = broker?.Host ?? "", Port = broker?.Port ?? -1,
                });
            }
            return response;
        }
        var (e, m, b) = Find(services, request.KeyType, request.CoordinatorKey);
        response.ErrorCode = (short)e;
        response.ErrorMessage = m;
        response.NodeId = b?.NodeId ?? -1;
        response.Host = b?.Host ?? "";
        response.Port = b?.Port ?? -1;
        return response;
    }

    private static (ErrorCode Error, string? Message, KafkaBroker? Broker) Find(KafkaServices services, sbyte keyType, string key)
    {
        if (keyType != 0)
            return (ErrorCode.CoordinatorNotAvailable, "Transactions are not supported yet: there is no transaction coordinator", null);
        if (string.IsNullOrEmpty(key)) return (ErrorCode.InvalidGroupId, "The group id must not be empty", null);
        var brokers = services.Brokers.Current();
        var id = services.CoordinatorOf(key);
        var broker = brokers.FirstOrDefault(b => b.NodeId == id) ?? brokers.FirstOrDefault(b => b.NodeId == services.Brokers.SelfNodeId);
        return broker is null ? (ErrorCode.CoordinatorNotAvailable, "This node is not serving Kafka clients yet", null) : (ErrorCode.None, null, broker);
    }
}
