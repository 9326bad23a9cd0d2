using Platform.Actors.Groups;
using Platform.Protocol.Groups;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// OffsetFetch: a group's committed offsets, -1 for a partition without one; from v2 a null topic list asks
/// for every partition the group has an offset for. v8 batches groups (KIP-709); served up to v7, clients
/// then send one request per group.
/// </summary>
internal static class OffsetFetchHandler
{
    public const short MaxVersion = 7;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<OffsetFetchRequest>(ApiKey.OffsetFetch, 0, MaxVersion, OffsetFetchRequest.HeaderVersion, OffsetFetchResponse.HeaderVersion,
            OffsetFetchRequest.Read, (context, request) => HandleAsync(services, context, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, OffsetFetchRequest request)
    {
        var wanted = request.Topics?.SelectMany(t => t.PartitionIndexes.Select(p => new TopicPartition(t.Name, p))).ToList();
        var error = ErrorCode.None;
        IReadOnlyList<CommittedOffset> offsets = [];
        if (request.GroupId == "") error = ErrorCode.InvalidGroupId;
        else
        {
            var result = await GroupRequests.AskCoordinatorAsync<OffsetFetchResult>(services, new OffsetFetch(request.GroupId, wanted));
            error = result?.Error ?? ErrorCode.CoordinatorNotAvailable;
            offsets = result?.Offsets ?? [];
        }

        var response = new OffsetFetchResponse();
        if (error != ErrorCode.None)
        {
            // From v2 the group's error is at the top; before, only the partitions can carry it.
            if (context.ApiVersion >= 2) response.ErrorCode = (short)error;
            else offsets = wanted?.Select(tp => new CommittedOffset(tp.Topic, tp.Partition, -1, null, -1)).ToList() ?? [];
        }
        var partitionError = context.ApiVersion >= 2 ? ErrorCode.None : error;
        foreach (var byTopic in offsets.GroupBy(o => o.Topic))
        {
            response.Topics.Add(new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = byTopic.Key,
                Partitions = byTopic.Select(o => new OffsetFetchResponse.OffsetFetchResponsePartition
                {
                    PartitionIndex = o.Partition,
                    CommittedOffset = o.Offset,
                    Metadata = o.Metadata ?? "",
                    ErrorCode = (short)partitionError,
                }).ToList(),
            });
        }
        return response;
    }
}
