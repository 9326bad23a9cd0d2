using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// LeaveGroup: a member leaving (on close) lets the group rebalance at once. Up to v2 one member per
/// request with its error at the top; from v3 a batch (KIP-345, e.g. static members removed by an admin)
/// with an error per member, the top-level error only for the coordinator itself.
/// </summary>
internal static class LeaveGroupHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<LeaveGroupRequest>(ApiKey.LeaveGroup, 0, MaxVersion, LeaveGroupRequest.HeaderVersion, LeaveGroupResponse.HeaderVersion,
            LeaveGroupRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, LeaveGroupRequest request)
    {
        if (request.GroupId == "") return new LeaveGroupResponse { ErrorCode = (short)ErrorCode.InvalidGroupId };
        if (context.ApiVersion < 3)
        {
            var single = await GroupRequests.AskCoordinatorAsync<LeaveGroupResult>(services, new LeaveGroup(request.GroupId, request.MemberId, null));
            return new LeaveGroupResponse { ErrorCode = (short)(single?.Error ?? ErrorCode.CoordinatorNotAvailable) };
        }
        var leaving = request.Members.Select(m => (Member: m, Result: GroupRequests.AskCoordinatorAsync<LeaveGroupResult>(services,
            new LeaveGroup(request.GroupId, m.MemberId, m.GroupInstanceId)))).ToList();
        var response = new LeaveGroupResponse();
        foreach (var (member, task) in leaving)
        {
            var result = await task;
            if (result is null) return new LeaveGroupResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable };
            response.Members.Add(new LeaveGroupResponse.MemberResponse
            {
                MemberId = member.MemberId, GroupInstanceId = member.GroupInstanceId, ErrorCode = (short)result.Error,
            });
        }
        return response;
    }
}
