using Platform.Actors.Serialization;
using Platform.Protocol.Groups;

namespace Platform.Actors.Groups;

/// <summary>
/// The answers to a group request that no coordinator gives: each request type has its own reply type, so
/// a refused or unknown-group request still gets the reply its asker waits for, with a Kafka error in it.
/// </summary>
internal static class GroupReplies
{
    /// <summary><paramref name="message"/> refused as a whole with <paramref name="code"/> (e.g. INVALID_GROUP_ID).</summary>
    public static IPlatformMessage Refusal(IGroupMessage message, ErrorCode code, string text) => message switch
    {
        JoinGroup j => new JoinGroupResult(code, text, -1, null, null, "", j.MemberId, []),
        SyncGroup => new SyncGroupResult(code, text, null, []),
        Heartbeat => new HeartbeatResult(code, text),
        LeaveGroup => new LeaveGroupResult(code, text),
        OffsetCommit c => new OffsetCommitResult(code, text, c.Offsets.Select(o => new PartitionError(o.Topic, o.Partition, code)).ToList()),
        OffsetFetch => new OffsetFetchResult(code, text, []),
        DescribeGroup d => Dead(d.GroupId, code, text),
        DeleteGroup => new DeleteGroupResult(code, text),
        _ => throw new ArgumentException($"No reply type for {message.GetType().Name}", nameof(message)),
    };

    /// <summary>
    /// What Kafka answers for a group that does not exist (no members, no offsets, never registered): Dead for
    /// DescribeGroups, no offsets for OffsetFetch, GROUP_ID_NOT_FOUND for DeleteGroups, and UNKNOWN_MEMBER_ID
    /// for a member's SyncGroup, Heartbeat or LeaveGroup. Answered by the group directory, so that naming a
    /// group starts no coordinator.
    /// </summary>
    public static IPlatformMessage Absent(IGroupMessage message) => message switch
    {
        DescribeGroup d => Dead(d.GroupId, ErrorCode.None, null),
        OffsetFetch f => new OffsetFetchResult(ErrorCode.None, null,
            (f.Partitions ?? []).Select(tp => new CommittedOffset(tp.Topic, tp.Partition, -1, null, -1)).ToList()),
        DeleteGroup d => Refusal(message, ErrorCode.GroupIdNotFound, $"Group {d.GroupId} does not exist"),
        _ => Refusal(message, ErrorCode.UnknownMemberId, $"Group {message.GroupId} does not exist"),
    };

    private static GroupDescription Dead(string groupId, ErrorCode code, string? text) =>
        new(groupId, code, text, nameof(GroupStateName.Dead), "", "", -1, []);
}
