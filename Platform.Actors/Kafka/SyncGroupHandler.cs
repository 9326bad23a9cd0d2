using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// SyncGroup: the leader hands in every member's assignment, the others wait for theirs. The coordinator
/// answers a follower when the leader's assignment arrives, or with an error when the group rebalances or
/// the member's session runs out, so the wait is bounded by the longest session timeout allowed.
/// </summary>
internal static class SyncGroupHandler
{
    public const short MaxVersion = 5;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<SyncGroupRequest>(ApiKey.SyncGroup, 0, MaxVersion, SyncGroupRequest.HeaderVersion, SyncGroupResponse.HeaderVersion,
            SyncGroupRequest.Read, (context, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, SyncGroupRequest request)
    {
        if (request.GroupId == "") return new SyncGroupResponse { ErrorCode = (short)ErrorCode.InvalidGroupId };
        var sync = new SyncGroup(request.GroupId, request.MemberId, request.GenerationId, request.GroupInstanceId,
            request.Assignments.Select(a => new SyncGroupAssignment(a.MemberId, a.Assignment)).ToList());
        var wait = TimeSpan.FromMilliseconds(services.GroupSettings.MaxSessionTimeoutMs) + services.RequestTimeout;
        var result = await GroupRequests.AskCoordinatorAsync<SyncGroupResult>(services, sync, wait);
        if (result is null) return new SyncGroupResponse { ErrorCode = (short)ErrorCode.CoordinatorNotAvailable };
        if (result.Error != ErrorCode.None) return new SyncGroupResponse { ErrorCode = (short)result.Error };
        // v5 clients name the protocol they joined with; every member of a group shares the protocol type.
        if (request.ProtocolName is not null && request.ProtocolName != result.ProtocolName)
            return new SyncGroupResponse { ErrorCode = (short)ErrorCode.InconsistentGroupProtocol };
        return new SyncGroupResponse
        {
            ProtocolType = request.ProtocolType,
            ProtocolName = result.ProtocolName,
            Assignment = result.Assignment,
        };
    }
}
