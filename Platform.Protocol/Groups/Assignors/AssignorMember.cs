namespace Platform.Protocol.Groups;

/// <summary>What an assignor knows of a member: its subscription and, for sticky, what it owned before.</summary>
public sealed record AssignorMember(string MemberId, IReadOnlyList<string> Topics, IReadOnlyList<TopicPartition> OwnedPartitions, string? GroupInstanceId = null)
{
    /// <summary>Kafka orders members by group.instance.id when set (stable across restarts), else member id.</summary>
    public string SortKey => GroupInstanceId ?? MemberId;
}
