using Platform.Protocol.Messages;

namespace Platform.Client.Kafka;

/// <summary>OffsetCommit to a group's coordinator: as a member (its id and generation) or without membership (generation -1).</summary>
internal static class GroupCommit
{
    public static async Task CommitAsync(PlatformConnection connection, string groupId, string memberId, int generationId, string? groupInstanceId,
        IReadOnlyList<TopicPartitionOffset> offsets, string lane, CancellationToken cancellationToken)
    {
        if (offsets.Count == 0) return;
        var response = await connection.CoordinatorRequestAsync<OffsetCommitResponse>(groupId, ApiKey.OffsetCommit, 8,
            (_, _) => new OffsetCommitRequest
            {
                GroupId = groupId,
                GenerationIdOrMemberEpoch = generationId,
                MemberId = memberId,
                GroupInstanceId = groupInstanceId,
                RetentionTimeMs = -1,
                Topics = offsets.GroupBy(o => o.Topic).Select(g => new OffsetCommitRequest.OffsetCommitRequestTopic
                {
                    Name = g.Key,
                    Partitions = g.Select(o => new OffsetCommitRequest.OffsetCommitRequestPartition
                    {
                        PartitionIndex = o.Partition, CommittedOffset = o.Offset, CommittedLeaderEpoch = -1, CommitTimestamp = -1,
                    }).ToList(),
                }).ToList(),
            },
            r => r.Topics.SelectMany(t => t.Partitions).Select(p => p.ErrorCode).FirstOrDefault(e => e != 0), lane, cancellationToken: cancellationToken);
        foreach (var topic in response.Topics)
        foreach (var partition in topic.Partitions)
        {
            if (partition.ErrorCode == 0) continue;
            var error = (ErrorCode)partition.ErrorCode;
            throw new PlatformException(error, error switch
            {
                ErrorCode.UnknownTopicOrPartition => $"Topic '{topic.Name}' has no partition {partition.PartitionIndex}",
                ErrorCode.UnknownMemberId => $"Group '{groupId}' has active members, or this member was removed from it",
                _ => $"Commit for {topic.Name}-{partition.PartitionIndex} failed",
            });
        }
    }
}
