using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// ListGroups: like a Kafka broker, each node lists the groups it coordinates (admin clients ask every
/// broker and merge), with protocol type and, from v4, state and the states filter. The group directory
/// answers, so listing wakes no coordinator.
/// </summary>
internal static class ListGroupsHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<ListGroupsRequest>(ApiKey.ListGroups, 0, MaxVersion, ListGroupsRequest.HeaderVersion, ListGroupsResponse.HeaderVersion,
            ListGroupsRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, ListGroupsRequest request)
    {
        var filter = context.ApiVersion >= 4 ? request.StatesFilter : [];
        var listed = await GroupRequests.AskDirectoryAsync<ListedGroups>(services, new ListGroupStates(filter));
        if (listed is null) return new ListGroupsResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable };
        var self = services.Brokers.SelfNodeId;
        return new ListGroupsResponse
        {
            Groups = listed.Groups.Where(g => services.CoordinatorOf(g.GroupId) == self)
                .Select(g => new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.GroupState })
                .ToList(),
        };
    }
}
