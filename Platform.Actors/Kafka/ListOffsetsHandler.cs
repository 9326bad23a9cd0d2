using Akka.Actor;
using Platform.Actors.Partitions;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;

namespace Platform.Actors.Kafka;

/// <summary>
/// ListOffsets: earliest (-2) is the log start offset, latest (-1) the high watermark (also the last stable
/// offset: there are no transactions), and a timestamp the first record at or after it: the partition's
/// segment index says where to start and the stored batches are scanned from there.
/// </summary>
internal static class ListOffsetsHandler
{
    public const short MinVersion = 1;
    public const short MaxVersion = 7;
    private const long Latest = -1, Earliest = -2, MaxTimestamp = -3;
    /// <summary>How many fetches a timestamp lookup may scan before it gives up on finding a later record.</summary>
    private const int MaxScanReads = 64;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<ListOffsetsRequest>(ApiKey.ListOffsets, MinVersion, MaxVersion, ListOffsetsRequest.HeaderVersion, ListOffsetsResponse.HeaderVersion,
            ListOffsetsRequest.Read, (_, request) => HandleAsync(services, request));

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        var work = new List<Task>();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            var info = services.Topics.Find(topic.Name) ?? (await services.LookupAsync(topic.Name, autoCreate: false)).Topic;
            foreach (var partition in topic.Partitions)
            {
                var answer = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex };
                topicResponse.Partitions.Add(answer);
                if (info is null || partition.PartitionIndex < 0 || partition.PartitionIndex >= info.PartitionCount)
                {
                    answer.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    continue;
                }
                work.Add(Resolve(services, info.TopicId, partition.Timestamp, answer));
            }
        }
        await Task.WhenAll(work);
        return response;
    }

    private static async Task Resolve(KafkaServices services, Guid topicId, long timestamp, ListOffsetsResponse.ListOffsetsPartitionResponse answer)
    {
        try
        {
            var status = await services.Partitions.Ask<PartitionStatus>(new GetPartitionStatus(topicId, answer.PartitionIndex), services.RequestTimeout);
            if (status.Error != ErrorCode.None)
            {
                answer.ErrorCode = (short)status.Error;
                return;
            }
            switch (timestamp)
            {
                case Latest:
                    answer.Offset = status.HighWatermark;
                    return;
                case Earliest:
                    answer.Offset = status.LogStartOffset;
                    return;
                case MaxTimestamp:
                    (answer.Offset, answer.Timestamp) = await Scan(services, topicId, answer.PartitionIndex, status.LogStartOffset, long.MinValue, max: true);
                    return;
                case < 0:
                    answer.ErrorCode = (short)ErrorCode.InvalidRequest;
                    return;
            }
            var start = await services.Partitions.Ask<OffsetForTimestamp>(new FindOffsetForTimestamp(topicId, answer.PartitionIndex, timestamp), services.RequestTimeout);
            if (start.Error != ErrorCode.None)
            {
                answer.ErrorCode = (short)start.Error;
                return;
            }
            (answer.Offset, answer.Timestamp) = await Scan(services, topicId, answer.PartitionIndex, start.Offset, timestamp, max: false);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            answer.ErrorCode = (short)ErrorCode.RequestTimedOut;
        }
    }

    /// <summary>
    /// Reads stored batches from <paramref name="from"/>: the first record at or after <paramref name="timestamp"/>,
    /// or with <paramref name="max"/> the record with the largest timestamp (the first of equals). Batch headers
    /// carry their largest timestamp, so only batches that can hold the answer are decoded.
    /// </summary>
    private static async Task<(long Offset, long Timestamp)> Scan(KafkaServices services, Guid topicId, int partition, long from, long timestamp, bool max)
    {
        var best = (Offset: -1L, Timestamp: -1L);
        var offset = from;
        for (var reads = 0; reads < MaxScanReads; reads++)
        {
            var result = await services.Partitions.Ask<FetchResult>(new Fetch(topicId, partition, offset, 1024 * 1024, 0, 0), services.RequestTimeout);
            if (result.Error != ErrorCode.None || result.Batches.Count == 0) return best;
            foreach (var batch in result.Batches)
            {
                var batchMax = RecordBatch.MaxTimestamp(batch);
                if (max ? batchMax > best.Timestamp : batchMax >= timestamp)
                {
                    foreach (var record in RecordBatch.Decode(batch))
                    {
                        if (record.Offset < offset) continue;
                        if (max ? record.Timestamp > best.Timestamp : record.Timestamp >= timestamp)
                        {
                            best = (record.Offset, record.Timestamp);
                            if (!max) return best;
                        }
                    }
                }
                offset = Math.Max(offset, RecordBatch.BaseOffset(batch) + RecordBatch.LastOffsetDelta(batch) + 1);
            }
            if (offset >= result.HighWatermark) return best;
        }
        return best;
    }
}
