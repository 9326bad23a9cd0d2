using Platform.Actors.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// OffsetCommit: the coordinator fences the commit by member id and generation (v0, and any version with
/// generation -1 and no member id, commits standalone, allowed only while the group has no members) and
/// persists it; errors come back per partition, as Kafka's clients expect them.
/// </summary>
internal static class OffsetCommitHandler
{
    public const short MaxVersion = 8;

    /// <summary>Kafka's offset.metadata.max.bytes default.</summary>
    public const int MaxMetadataLength = 4096;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<OffsetCommitRequest>(ApiKey.OffsetCommit, 0, MaxVersion, OffsetCommitRequest.HeaderVersion, OffsetCommitResponse.HeaderVersion,
            OffsetCommitRequest.Read, (context, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, OffsetCommitRequest request)
    {
        var entries = new List<OffsetCommitEntry>();
        var refused = new Dictionary<(string Topic, int Partition), ErrorCode>();
        foreach (var topic in request.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                if (p.CommittedMetadata is { Length: > MaxMetadataLength }) refused[(topic.Name, p.PartitionIndex)] = ErrorCode.OffsetMetadataTooLarge;
                else entries.Add(new OffsetCommitEntry(topic.Name, p.PartitionIndex, p.CommittedOffset, p.CommittedMetadata));
            }
        }

        ErrorCode everyPartition;
        var errors = new Dictionary<(string Topic, int Partition), ErrorCode>();
        if (request.GroupId == "") everyPartition = ErrorCode.InvalidGroupId;
        else if (entries.Count == 0) everyPartition = ErrorCode.None;
        else
        {
            var result = await GroupRequests.AskCoordinatorAsync<OffsetCommitResult>(services,
                new OffsetCommit(request.GroupId, request.MemberId, request.GenerationIdOrMemberEpoch, request.GroupInstanceId, entries));
            everyPartition = result is null ? ErrorCode.CoordinatorNotAvailable : result.Error;
            foreach (var p in result?.Partitions ?? []) errors[(p.Topic, p.Partition)] = p.Error;
        }

        var response = new OffsetCommitResponse();
        foreach (var topic in request.Topics)
        {
            response.Topics.Add(new OffsetCommitResponse.OffsetCommitResponseTopic
            {
                Name = topic.Name,
                Partitions = topic.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponsePartition
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)(refused.TryGetValue((topic.Name, p.PartitionIndex), out var tooLarge) ? tooLarge
                        : everyPartition != ErrorCode.None ? everyPartition
                        : errors.GetValueOrDefault((topic.Name, p.PartitionIndex), ErrorCode.None)),
                }).ToList(),
            });
        }
        return response;
    }
}
