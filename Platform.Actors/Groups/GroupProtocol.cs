using Akka.Actor;
using Platform.Protocol.Groups;
using Platform.Actors.Serialization;

namespace Platform.Actors.Groups;

// Kafka's classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch),
// with Kafka's field names, so that the Kafka wire protocol can map onto it one to one.

/// <summary>A message for one group's coordinator; the shard extractor routes it by <see cref="GroupId"/>.</summary>
internal interface IGroupMessage : IPlatformMessage
{
    string GroupId { get; }
}

/// <summary>One protocol a member supports, e.g. ("range", subscription metadata).</summary>
internal sealed record GroupProtocol(string Name, byte[] Metadata);

/// <param name="MemberId">Empty for a member's first join; the coordinator issues one.</param>
/// <param name="GroupInstanceId">Static membership (group.instance.id): a restarting member gets its partitions back.</param>
/// <param name="MemberRef">The actor of the member's Kafka connection: the coordinator watches it, so a dead process leaves at once.</param>
/// <param name="ServerAssignment">True lets the coordinator run the assignor named by the protocol (the Akka.Remote
/// client of earlier versions asked for it); the Kafka listener always sends false, leaving assignment to the
/// group's leader, whose result SyncGroup relays. Kept in the wire format, which nodes of either version read.</param>
internal sealed record JoinGroup(
    string GroupId, string MemberId, string? GroupInstanceId, string ProtocolType, IReadOnlyList<GroupProtocol> Protocols,
    int SessionTimeoutMs, int RebalanceTimeoutMs, string ClientId, string ClientHost, IActorRef? MemberRef, bool ServerAssignment)
    : IGroupMessage;

internal sealed record JoinGroupMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

/// <param name="Members">For the leader of a client-assigned group: every member with its metadata.</param>
internal sealed record JoinGroupResult(
    ErrorCode Error, string? ErrorMessage, int GenerationId, string? ProtocolType, string? ProtocolName, string LeaderId, string MemberId,
    IReadOnlyList<JoinGroupMember> Members) : IPlatformMessage;

internal sealed record SyncGroupAssignment(string MemberId, byte[] Assignment);

/// <param name="Assignments">Only from the leader of a client-assigned group.</param>
internal sealed record SyncGroup(string GroupId, string MemberId, int GenerationId, string? GroupInstanceId, IReadOnlyList<SyncGroupAssignment> Assignments)
    : IGroupMessage;

/// <param name="Assignment">Kafka's ConsumerProtocolAssignment encoding (see <see cref="ConsumerProtocol"/>).</param>
internal sealed record SyncGroupResult(ErrorCode Error, string? ErrorMessage, string? ProtocolName, byte[] Assignment) : IPlatformMessage;

internal sealed record Heartbeat(string GroupId, string MemberId, int GenerationId, string? GroupInstanceId) : IGroupMessage;

internal sealed record HeartbeatResult(ErrorCode Error, string? ErrorMessage) : IPlatformMessage;

internal sealed record LeaveGroup(string GroupId, string MemberId, string? GroupInstanceId) : IGroupMessage;

internal sealed record LeaveGroupResult(ErrorCode Error, string? ErrorMessage) : IPlatformMessage;

internal sealed record OffsetCommitEntry(string Topic, int Partition, long Offset, string? Metadata);

/// <summary>
/// Commits offsets. A member commits with its member id and generation; a standalone consumer (no
/// membership) with generation -1 and an empty member id, which is allowed only while the group is empty.
/// </summary>
internal sealed record OffsetCommit(string GroupId, string MemberId, int GenerationId, string? GroupInstanceId, IReadOnlyList<OffsetCommitEntry> Offsets)
    : IGroupMessage;

internal sealed record PartitionError(string Topic, int Partition, ErrorCode Error);

/// <summary><paramref name="Error"/> applies to the whole request; <paramref name="Partitions"/> per partition.</summary>
internal sealed record OffsetCommitResult(ErrorCode Error, string? ErrorMessage, IReadOnlyList<PartitionError> Partitions) : IPlatformMessage;

/// <param name="Partitions">Null for every partition the group has offsets for.</param>
internal sealed record OffsetFetch(string GroupId, IReadOnlyList<TopicPartition>? Partitions) : IGroupMessage;

/// <param name="Offset">-1 when the group has no committed offset for the partition.</param>
internal sealed record CommittedOffset(string Topic, int Partition, long Offset, string? Metadata, long CommitTimestamp);

internal sealed record OffsetFetchResult(ErrorCode Error, string? ErrorMessage, IReadOnlyList<CommittedOffset> Offsets) : IPlatformMessage;

internal sealed record DescribeGroup(string GroupId) : IGroupMessage;

/// <param name="Assignment">The member's partitions, decoded from <paramref name="MemberAssignment"/>.</param>
/// <param name="MemberMetadata">The member's metadata for the group's protocol, as it sent it (Kafka's DescribeGroups returns it).</param>
/// <param name="MemberAssignment">The assignment bytes as the leader (or the server) encoded them.</param>
internal sealed record GroupMemberDescription(
    string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, IReadOnlyList<TopicPartition> Assignment,
    byte[] MemberMetadata, byte[] MemberAssignment);

/// <summary>A group as DescribeGroups shows it; <see cref="State"/> is "Dead" for a group that does not exist.</summary>
internal sealed record GroupDescription(
    string GroupId, ErrorCode Error, string? ErrorMessage, string State, string ProtocolType, string ProtocolName, int GenerationId,
    IReadOnlyList<GroupMemberDescription> Members) : IPlatformMessage;

/// <summary>Deletes an empty group and its offsets (refused with NonEmptyGroup while members are active).</summary>
internal sealed record DeleteGroup(string GroupId) : IGroupMessage;

internal sealed record DeleteGroupResult(ErrorCode Error, string? ErrorMessage) : IPlatformMessage;

// Group directory: which groups exist, for `groups list`.

internal sealed record ListGroups : IPlatformMessage
{
    public static readonly ListGroups Instance = new();
}

internal sealed record GroupList(IReadOnlyList<string> GroupIds) : IPlatformMessage;

/// <summary>
/// Kafka's ListGroups: every group with its protocol type and state, optionally only those in the given
/// states (Kafka's state names; empty for all).
/// </summary>
internal sealed record ListGroupStates(IReadOnlyList<string> StatesFilter) : IPlatformMessage;

internal sealed record ListedGroup(string GroupId, string ProtocolType, string GroupState);

internal sealed record ListedGroups(IReadOnlyList<ListedGroup> Groups) : IPlatformMessage;

/// <summary>
/// A coordinator tells the directory its state and protocol type whenever they change, so that ListGroups
/// does not have to wake every coordinator. Not persisted: a coordinator that stops has no members, so the
/// directory then shows its group as Empty.
/// </summary>
internal sealed record GroupStateChanged(string GroupId, string GroupState, string ProtocolType) : IPlatformMessage;

internal sealed record RegisterGroup(string GroupId) : IPlatformMessage;

/// <summary>The directory's answer to <see cref="RegisterGroup"/>, once the group is in its journal.</summary>
internal sealed record GroupRegistrationConfirmed(string GroupId) : IPlatformMessage;

internal sealed record UnregisterGroup(string GroupId) : IPlatformMessage;

// Journal events and snapshots.

internal sealed record OffsetsCommitted(IReadOnlyList<CommittedOffset> Offsets) : IPlatformMessage;

/// <summary>Offsets removed by retention (empty group past offsets.retention) or by deleting the group.</summary>
internal sealed record OffsetsRemoved(IReadOnlyList<TopicPartition> Partitions) : IPlatformMessage;

/// <summary>
/// Written once by every incarnation of a group's coordinator, after its recovery and before its first answer: it
/// takes the next sequence number, so the journal's unique key on (persistence id, sequence number) then refuses
/// any later write of an older incarnation still running (a node the cluster downed that has not learnt it yet),
/// whose commits are therefore never acknowledged; and if the older one wrote first, this write is the one
/// refused and the new incarnation recovers again, seeing that commit. Recovery ignores it: it changes no state.
/// <paramref name="Node"/> (the writer's cluster address) and <paramref name="AtMs"/> are for whoever reads a journal.
/// </summary>
internal sealed record CoordinatorFenced(string Node, long AtMs) : IPlatformMessage;

internal sealed record GroupSnapshot(IReadOnlyList<CommittedOffset> Offsets, long EmptySinceMs) : IPlatformMessage;

internal sealed record GroupRegistered(string GroupId) : IPlatformMessage;

internal sealed record GroupUnregistered(string GroupId) : IPlatformMessage;

internal sealed record GroupDirectorySnapshot(IReadOnlyList<string> GroupIds) : IPlatformMessage;
