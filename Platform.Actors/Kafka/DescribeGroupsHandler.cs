using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DescribeGroups: each group's state, protocol and members. As in Kafka, members' metadata and assignment
/// bytes (and the protocol name) are shown only while the group is Stable, and a group that does not exist
/// is described as Dead without an error.
/// </summary>
internal static class DescribeGroupsHandler
{
    public const short MaxVersion = 5;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DescribeGroupsRequest>(ApiKey.DescribeGroups, 0, MaxVersion, DescribeGroupsRequest.HeaderVersion,
            DescribeGroupsResponse.HeaderVersion, DescribeGroupsRequest.Read, (context, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, DescribeGroupsRequest request)
    {
        var asks = request.Groups.Select(id => (Id: id, Result: id == "" ? Task.FromResult<GroupDescription?>(null)
            : GroupRequests.AskCoordinatorAsync<GroupDescription>(services, new DescribeGroup(id)))).ToList();
        var response = new DescribeGroupsResponse();
        foreach (var (id, task) in asks)
        {
            var description = await task;
            if (description is null)
            {
                var error = id == "" ? ErrorCode.InvalidGroupId : ErrorCode.CoordinatorNotAvailable;
                response.Groups.Add(new DescribeGroupsResponse.DescribedGroup { GroupId = id, ErrorCode = (short)error, GroupState = "Dead" });
                continue;
            }
            var stable = description.State == nameof(GroupStateName.Stable);
            response.Groups.Add(new DescribeGroupsResponse.DescribedGroup
            {
                ErrorCode = (short)description.Error,
                GroupId = id,
                GroupState = description.State,
                ProtocolType = description.ProtocolType,
                ProtocolData = stable ? description.ProtocolName : "",
                Members = description.Members.Select(m => new DescribeGroupsResponse.DescribedGroupMember
                {
                    MemberId = m.MemberId,
                    GroupInstanceId = m.GroupInstanceId,
                    ClientId = m.ClientId,
                    ClientHost = m.ClientHost,
                    MemberMetadata = stable ? m.MemberMetadata : [],
                    MemberAssignment = stable ? m.MemberAssignment : [],
                }).ToList(),
            });
        }
        return response;
    }
}
