using Akka.Actor;
using Platform.Actors.Partitions;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// DeleteRecords: each partition moves its log start to the given offset (-1: the high watermark; beyond
/// it: OFFSET_OUT_OF_RANGE), persisted before the answer, and answers with its low watermark. Records below
/// it are never served again, and the journal events wholly below it are deleted.
/// </summary>
internal static class DeleteRecordsHandler
{
    public const short MaxVersion = 2;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<DeleteRecordsRequest>(ApiKey.DeleteRecords, 0, MaxVersion, DeleteRecordsRequest.HeaderVersion, DeleteRecordsResponse.HeaderVersion,
            DeleteRecordsRequest.Read, (_, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, DeleteRecordsRequest request)
    {
        var response = new DeleteRecordsResponse();
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(request.TimeoutMs, 1, (long)services.RequestTimeout.TotalMilliseconds));
        var work = new List<Task>();
        foreach (var topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            var lookup = await Lookup(services, topic.Name);
            foreach (var partition in topic.Partitions)
            {
                var answer = new DeleteRecordsResponse.DeleteRecordsPartitionResult { PartitionIndex = partition.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(answer);
                if (lookup.Error != ErrorCode.None)
                {
                    answer.ErrorCode = (short)lookup.Error;
                    continue;
                }
                if (partition.PartitionIndex < 0 || partition.PartitionIndex >= lookup.Topic!.PartitionCount)
                {
                    answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                work.Add(DeleteAsync(services, new DeleteRecordsBefore(lookup.Topic.TopicId, partition.PartitionIndex, partition.Offset), timeout, answer));
            }
        }
        await Task.WhenAll(work);
        return response;
    }

    private static async Task<(Topics.TopicInfo? Topic, ErrorCode Error)> Lookup(KafkaServices services, string name)
    {
        try
        {
            var lookup = await services.LookupAsync(name, autoCreate: false);
            return (lookup.Topic, lookup.Topic is null ? lookup.Error : ErrorCode.None);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return (null, ErrorCode.RequestTimedOut);
        }
    }

    private static async Task DeleteAsync(KafkaServices services, DeleteRecordsBefore request, TimeSpan timeout,
        DeleteRecordsResponse.DeleteRecordsPartitionResult answer)
    {
        try
        {
            var result = await services.Partitions.Ask<DeleteRecordsResult>(request, timeout);
            answer.ErrorCode = (short)result.Error;
            answer.LowWatermark = result.LowWatermark;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            answer.ErrorCode = (short)ErrorCode.RequestTimedOut;
        }
    }
}
