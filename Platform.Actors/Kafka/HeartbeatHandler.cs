using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>Heartbeat: keeps a member's session, and tells it (REBALANCE_IN_PROGRESS) when to rejoin.</summary>
internal static class HeartbeatHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<HeartbeatRequest>(ApiKey.Heartbeat, 0, MaxVersion, HeartbeatRequest.HeaderVersion, HeartbeatResponse.HeaderVersion,
            HeartbeatRequest.Read, (context, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, HeartbeatRequest request)
    {
        if (request.GroupId == "") return new HeartbeatResponse { ErrorCode = (short)ErrorCode.InvalidGroupId };
        var result = await GroupRequests.AskCoordinatorAsync<HeartbeatResult>(services,
            new Heartbeat(request.GroupId, request.MemberId, request.GenerationId, request.GroupInstanceId));
        return new HeartbeatResponse { ErrorCode = (short)(result?.Error ?? ErrorCode.CoordinatorNotAvailable) };
    }
}
