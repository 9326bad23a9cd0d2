using Akka.Actor;
using Platform.Actors.Partitions;
using Platform.Protocol.Messages;

namespace Platform.Actors.Kafka;

/// <summary>
/// OffsetForLeaderEpoch (KIP-320 truncation detection). A partition's log here is never truncated and has
/// one epoch, so the answer is the high watermark as end offset, and the requested epoch echoed back. Metadata
/// reports epochs as unknown, so clients normally never ask; when one does (a committed offset carrying an
/// epoch), echoing it makes the check pass: librdkafka and the Java client both treat an answer with epoch
/// -1 as log truncation and reset the position, and an end offset below their position likewise.
/// </summary>
internal static class OffsetForLeaderEpochHandler
{
    public const short MaxVersion = 4;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<OffsetForLeaderEpochRequest>(ApiKey.OffsetForLeaderEpoch, 0, MaxVersion, OffsetForLeaderEpochRequest.HeaderVersion,
            OffsetForLeaderEpochResponse.HeaderVersion, OffsetForLeaderEpochRequest.Read, (_, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, OffsetForLeaderEpochRequest request)
    {
        var response = new OffsetForLeaderEpochResponse();
        var work = new List<Task>();
        foreach (var topic in request.Topics)
        {
            var topicResult = new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult { Topic = topic.Topic };
            response.Topics.Add(topicResult);
            Topics.TopicInfo? info;
            try
            {
                info = services.Topics.Find(topic.Topic) ?? (await services.LookupAsync(topic.Topic, autoCreate: false)).Topic;
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                info = null;
            }
            foreach (var partition in topic.Partitions)
            {
                var answer = new OffsetForLeaderEpochResponse.EpochEndOffset { Partition = partition.Partition };
                topicResult.Partitions.Add(answer);
                if (info is null || partition.Partition < 0 || partition.Partition >= info.PartitionCount)
                {
                    answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                work.Add(Resolve(services, info.TopicId, partition.LeaderEpoch, answer));
            }
        }
        await Task.WhenAll(work);
        return response;
    }

    private static async Task Resolve(KafkaServices services, Guid topicId, int requestedEpoch, OffsetForLeaderEpochResponse.EpochEndOffset answer)
    {
        try
        {
            var status = await services.Partitions.Ask<PartitionStatus>(new GetPartitionStatus(topicId, answer.Partition), services.RequestTimeout);
            if (status.Error != ErrorCode.None)
            {
                answer.ErrorCode = (short)status.Error;
                return;
            }
            answer.LeaderEpoch = Math.Max(requestedEpoch, -1);
            answer.EndOffset = status.HighWatermark;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            answer.ErrorCode = (short)ErrorCode.RequestTimedOut;
        }
    }
}
