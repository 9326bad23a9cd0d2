namespace Platform.Client;

/// <summary>A group member: its ids, where it connects from, and (for the consumer protocol) its assigned partitions.</summary>
public sealed record MemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost,
    IReadOnlyList<TopicPartition> Assignment);
