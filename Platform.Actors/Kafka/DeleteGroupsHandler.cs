using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DeleteGroups: deletes empty groups and their offsets; per group NON_EMPTY_GROUP while it has members,
/// GROUP_ID_NOT_FOUND when it does not exist.
/// </summary>
internal static class DeleteGroupsHandler
{
    public const short MaxVersion = 2;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DeleteGroupsRequest>(ApiKey.DeleteGroups, 0, MaxVersion, DeleteGroupsRequest.HeaderVersion, DeleteGroupsResponse.HeaderVersion,
            DeleteGroupsRequest.Read, (context, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, DeleteGroupsRequest request)
    {
        var asks = request.GroupsNames.Select(id => (Id: id, Result: id == "" ? Task.FromResult<DeleteGroupResult?>(null)
            : GroupRequests.AskCoordinatorAsync<DeleteGroupResult>(services, new DeleteGroup(id)))).ToList();
        var response = new DeleteGroupsResponse();
        foreach (var (id, task) in asks)
        {
            var result = await task;
            var error = result?.Error ?? (id == "" ? ErrorCode.InvalidGroupId : ErrorCode.CoordinatorNotAvailable);
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = id, ErrorCode = (short)error });
        }
        return response;
    }
}
