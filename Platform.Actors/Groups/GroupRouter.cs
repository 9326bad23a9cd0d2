using Akka.Actor;
using Platform.Actors.Configuration;
using Platform.Actors.Serialization;
using Platform.Protocol.Groups;

namespace Platform.Actors.Groups;

/// <summary>
/// Where a node sends a group request (from the gateway or the Kafka listener). Only a JoinGroup or an
/// OffsetCommit may bring a group into being, so only they go straight to the group shard region, which
/// starts the coordinator on demand. Every other request goes through the group directory, which knows
/// every group that exists and answers for one that does not (<see cref="GroupReplies.Absent"/>): naming a
/// made-up group in DescribeGroups, OffsetFetch, DeleteGroups, SyncGroup, Heartbeat or LeaveGroup starts no
/// coordinator, no journal recovery and no timer. A group id that is empty or too long is refused here.
/// </summary>
internal sealed class GroupRouter(IActorRef groups, IActorRef directory, GroupSettings settings)
{
    /// <summary>The request's refusal (INVALID_GROUP_ID) when its group id cannot name a group, else null.</summary>
    public IPlatformMessage? Refusal(IGroupMessage message) => message.GroupId switch
    {
        "" => GroupReplies.Refusal(message, ErrorCode.InvalidGroupId, "The group id must not be empty"),
        { Length: var n } when n > settings.MaxGroupIdLength => GroupReplies.Refusal(message, ErrorCode.InvalidGroupId,
            $"The group id is {n} characters long; at most {settings.MaxGroupIdLength} are allowed (platform.group.max-group-id-length)"),
        _ => null,
    };

    /// <summary>The actor to send a valid request to: the shard region for those that may create a group, else the directory.</summary>
    public IActorRef TargetOf(IGroupMessage message) => message is JoinGroup or OffsetCommit ? groups : directory;

    /// <summary>Sends <paramref name="message"/> on, or answers it with its refusal, on behalf of <paramref name="sender"/>.</summary>
    public void Route(IGroupMessage message, IActorRef sender)
    {
        if (Refusal(message) is { } refusal) sender.Tell(refusal);
        else TargetOf(message).Tell(message, sender);
    }
}
