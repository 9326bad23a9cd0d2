using System.Diagnostics;
using Akka.Actor;
using Platform.Actors.Partitions;
using Platform.Protocol.Messages;
using Platform.Protocol.Wire;

namespace Platform.Actors.Kafka;

/// <summary>
/// Fetch: reads every requested partition from its actor (tail cache, journal range, or a long poll parked
/// at the log end) and returns the stored batches byte for byte. Long polling follows Kafka's min.bytes /
/// max.wait across partitions: a first pass answers at once if anything is there; otherwise every empty
/// partition is asked again with the wait, and the response goes out as soon as enough bytes arrived from
/// any of them, or when the wait is over. Fetch sessions (KIP-227) are not kept: session id 0 tells
/// clients to send full fetches.
/// </summary>
internal static class FetchHandler
{
    // v4 is the first that carries RecordBatch v2 and the last stable offset.
    public const short MinVersion = 4;
    public const short MaxVersion = 12;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<FetchRequest>(ApiKey.Fetch, MinVersion, MaxVersion, FetchRequest.HeaderVersion, FetchResponse.HeaderVersion,
            FetchRequest.Read, (context, request) => HandleAsync(services, context, request));

    private sealed class Slot(FetchResponse.PartitionData response, Guid topicId, long offset, int maxBytes)
    {
        public FetchResponse.PartitionData Response { get; } = response;
        public Guid TopicId { get; } = topicId;
        public long Offset { get; } = offset;
        public int MaxBytes { get; } = maxBytes;
        public IReadOnlyList<byte[]> Batches { get; set; } = [];
        public int Bytes { get; set; }
        public bool Valid => TopicId != Guid.Empty;
    }

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, FetchRequest request)
    {
        var watch = Stopwatch.StartNew();
        var response = new FetchResponse();
        var slots = new List<Slot>();
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic };
            response.Responses.Add(topicResponse);
            var info = services.Topics.Find(topic.Topic) ?? (await Lookup(services, topic.Topic));
            foreach (var partition in topic.Partitions)
            {
                var data = new FetchResponse.PartitionData { PartitionIndex = partition.Partition, HighWatermark = -1, LastStableOffset = -1, LogStartOffset = -1 };
                topicResponse.Partitions.Add(data);
                if (info is null || partition.Partition < 0 || partition.Partition >= info.PartitionCount)
                {
                    data.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    slots.Add(new Slot(data, Guid.Empty, 0, 0));
                    continue;
                }
                // The node's caps apply whatever the client asks: a partition's share travels as one remoting message.
                var partitionMax = Math.Clamp(partition.PartitionMaxBytes, 1, Math.Min(services.Settings.FetchMaxBytes, services.Settings.FetchPartitionMaxBytes));
                slots.Add(new Slot(data, info.TopicId, partition.FetchOffset, partitionMax));
            }
        }

        var valid = slots.Where(s => s.Valid).ToList();
        var first = await Task.WhenAll(valid.Select(s => Read(services, context, s, 0)));
        for (var i = 0; i < valid.Count; i++) Apply(valid[i], first[i]);
        var maxWait = Math.Min(Math.Max(0, request.MaxWaitMs), (int)services.PartitionSettings.MaxFetchWait.TotalMilliseconds);
        var gathered = valid.Sum(s => s.Bytes);
        if (gathered < request.MinBytes && maxWait > 0)
        {
            // Long poll: the empty partitions park the fetch; the first answers with data end the wait.
            var remaining = (int)Math.Max(0, maxWait - watch.ElapsedMilliseconds);
            // Reads still parked when the response goes out answer nobody; they never touch this response.
            var waiting = valid.Where(s => s.Bytes == 0 && s.Response.ErrorCode == 0)
                .ToDictionary(s => (Task)Read(services, context, s, remaining), s => s);
            var deadline = Task.Delay(remaining);
            while (waiting.Count > 0 && gathered < request.MinBytes)
            {
                var done = await Task.WhenAny(waiting.Keys.Append(deadline));
                if (done == deadline) break;
                waiting.Remove(done, out var slot);
                gathered += Apply(slot!, await (Task<FetchResult?>)done);
            }
        }

        // Kafka's max_bytes is soft for the first batch: it is returned even if larger, so a client can progress.
        var total = 0;
        var maxBytes = request.MaxBytes <= 0 ? services.Settings.FetchMaxBytes : Math.Min(request.MaxBytes, services.Settings.FetchMaxBytes);
        foreach (var slot in slots)
        {
            if (slot.Bytes > 0 && (total == 0 || total + slot.Bytes <= maxBytes))
            {
                slot.Response.Records = RecordSet.Of(slot.Batches);
                total += slot.Bytes;
            }
            else
            {
                slot.Response.Records = RecordSet.Empty;
            }
        }
        services.Metrics?.Responded(response);
        return response;
    }

    private static async Task<Topics.TopicInfo?> Lookup(KafkaServices services, string name)
    {
        try
        {
            return (await services.LookupAsync(name, autoCreate: false)).Topic;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Reads one partition; null if it did not answer in time.</summary>
    private static async Task<FetchResult?> Read(KafkaServices services, RequestContext context, Slot slot, int maxWaitMs)
    {
        var fetch = new Fetch(slot.TopicId, slot.Response.PartitionIndex, slot.Offset, slot.MaxBytes, maxWaitMs, context.CorrelationId);
        try
        {
            return await services.Partitions.Ask<FetchResult>(fetch, services.RequestTimeout + TimeSpan.FromMilliseconds(maxWaitMs));
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Puts a read's answer into its slot (a later read replaces an earlier empty one); returns the bytes read.</summary>
    private static int Apply(Slot slot, FetchResult? result)
    {
        var data = slot.Response;
        if (result is null)
        {
            // Not answered in time (e.g. the partition is moving): the client refreshes metadata and retries.
            if (data.HighWatermark < 0) data.ErrorCode = (short)ErrorCode.NotLeaderOrFollower;
            return 0;
        }
        data.ErrorCode = (short)result.Error;
        if (result.HighWatermark >= 0)
        {
            data.HighWatermark = result.HighWatermark;
            data.LastStableOffset = result.HighWatermark;
            data.LogStartOffset = result.LogStartOffset;
        }
        var bytes = 0;
        foreach (var batch in result.Batches) bytes += batch.Length;
        slot.Batches = result.Batches;
        slot.Bytes = bytes;
        return bytes;
    }
}
