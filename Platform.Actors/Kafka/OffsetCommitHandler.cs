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

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<OffsetCommitRequest>(ApiKey.OffsetCommit, 0, MaxVersion, OffsetCommitRequest.HeaderVersion, OffsetCommitResponse.HeaderVersion,
            OffsetCommitRequest.Read, (context, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, OffsetCommitRequest request)
    {
        // The coordinator checks each partition (unknown topic, metadata over offset-metadata-max-bytes).
        var entries = request.Topics
            .SelectMany(t => t.Partitions.Select(p => new OffsetCommitEntry(t.Name, p.PartitionIndex, p.CommittedOffset, p.CommittedMetadata)))
            .ToList();

        ErrorCode everyPartition;
        var errors = new Dictionary<(string Topic, int Partition), ErrorCode>();
        if (entries.Count == 0) everyPartition = ErrorCode.None;
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
                    ErrorCode = (short)(everyPartition != ErrorCode.None ? everyPartition
                        : errors.GetValueOrDefault((topic.Name, p.PartitionIndex), ErrorCode.None)),
                }).ToList(),
            });
        }
        return response;
    }
}
