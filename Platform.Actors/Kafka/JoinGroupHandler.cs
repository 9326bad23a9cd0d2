using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// JoinGroup: a Kafka client joins through the group's coordinator with client-side assignment (its leader
/// assigns, SyncGroup relays). The coordinator watches the connection's actor, so a member whose TCP
/// connection closes (its process died) leaves at once rather than after its session timeout. An empty
/// member id is given a new one at once: the coordinator does not ask for a second join (KIP-394's
/// MEMBER_ID_REQUIRED), which clients of every version accept.
/// </summary>
internal static class JoinGroupHandler
{
    public const short MaxVersion = 7;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<JoinGroupRequest>(ApiKey.JoinGroup, 0, MaxVersion, JoinGroupRequest.HeaderVersion, JoinGroupResponse.HeaderVersion,
            JoinGroupRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, JoinGroupRequest request)
    {
        if (request.GroupId == "") return Failed(context, request, ErrorCode.InvalidGroupId);
        // v0 has no rebalance timeout: Kafka uses the session timeout.
        var rebalanceTimeoutMs = context.ApiVersion == 0 || request.RebalanceTimeoutMs < 0 ? request.SessionTimeoutMs : request.RebalanceTimeoutMs;
        var join = new JoinGroup(request.GroupId, request.MemberId, request.GroupInstanceId, request.ProtocolType,
            request.Protocols.Select(p => new GroupProtocol(p.Name, p.Metadata)).ToList(), request.SessionTimeoutMs, rebalanceTimeoutMs,
            context.ClientId, "/" + context.Connection.ClientHost, context.Connection.Actor, ServerAssignment: false);
        // A join is answered when the rebalance completes: after the other members rejoined, at most the
        // rebalance timeout (plus the initial delay for a new group); one above the bound is refused at once.
        var wait = TimeSpan.FromMilliseconds(Math.Clamp(rebalanceTimeoutMs, 0, services.GroupSettings.MaxRebalanceTimeoutMs))
            + services.GroupSettings.InitialRebalanceDelay + services.RequestTimeout;
        var result = await GroupRequests.AskCoordinatorAsync<JoinGroupResult>(services, join, wait);
        if (result is null) return Failed(context, request, ErrorCode.CoordinatorNotAvailable);
        return new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.GenerationId,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName ?? NoProtocol(context),
            Leader = result.LeaderId,
            MemberId = result.MemberId,
            Members = result.Members.Select(m => new JoinGroupResponse.JoinGroupResponseMember
            {
                MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId, Metadata = m.Metadata,
            }).ToList(),
        };
    }

    private static JoinGroupResponse Failed(RequestContext context, JoinGroupRequest request, ErrorCode error) => new()
    {
        ErrorCode = (short)error,
        GenerationId = -1,
        ProtocolName = NoProtocol(context),
        MemberId = request.MemberId,
    };

    // Nullable from v7; before that an empty string.
    private static string? NoProtocol(RequestContext context) => context.ApiVersion >= 7 ? null : "";
}
