using Akka.Event;
using System.Runtime.InteropServices;
using Akka.Actor;
using Platform.Actors.Partitions;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Protocol.Wire;

namespace Platform.Actors.Kafka;

/// <summary>
/// Produce: each partition's record batch goes, as the client encoded it, to the partition actor through
/// sharding (whichever node hosts it), which validates it, assigns offsets and acknowledges after the
/// journal write. acks 1 and -1 both mean "in the journal" (there are no followers to wait for); acks 0
/// sends no response at all, as Kafka does.
/// </summary>
internal static class ProduceHandler
{
    // v3 is the first with RecordBatch v2 (magic 2), the only format stored here.
    public const short MinVersion = 3;
    public const short MaxVersion = 9;

    public static void Register(KafkaApis apis, KafkaServices services) =>
        apis.Register<ProduceRequest>(ApiKey.Produce, MinVersion, MaxVersion, ProduceRequest.HeaderVersion, ProduceResponse.HeaderVersion,
            ProduceRequest.Read, (context, request) => Handle(services, context, request));

    private static Task<IKafkaMessage?>? Handle(KafkaServices services, RequestContext context, ProduceRequest request)
    {
        var work = HandleAsync(services, context, request);
        if (request.Acks != 0) return work;
        // acks=0: nobody waits for the outcome, so a failure is logged here rather than lost.
        work.ContinueWith(t => services.System.Log.Error(t.Exception, "acks=0 produce from {Client} failed", context.Connection.Remote),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return null;
    }

    private static async Task<IKafkaMessage?> HandleAsync(KafkaServices services, RequestContext context, ProduceRequest request)
    {
        var response = new ProduceResponse();
        var timeout = TimeSpan.FromMilliseconds(Math.Clamp(request.TimeoutMs, 1, (long)services.RequestTimeout.TotalMilliseconds));
        var pending = new List<(ProduceResponse.PartitionProduceResponse Partition, string Topic, byte[] Batch, Task<ProduceResult> Result)>();
        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            response.Responses.Add(topicResponse);
            var rejection = request.Acks is not (0 or 1 or -1) ? (ErrorCode.InvalidRequiredAcks, $"acks must be -1, 0 or 1, got {request.Acks}")
                : request.TransactionalId is not null ? (ErrorCode.InvalidRequest, "Transactions are not supported yet: produce without transactional.id")
                : (ErrorCode.None, null);
            TopicLookupResult lookup = rejection.Item1 == ErrorCode.None ? await Lookup(services, topicData.Name) : default;
            foreach (var partitionData in topicData.PartitionData)
            {
                var partition = new ProduceResponse.PartitionProduceResponse { Index = partitionData.Index };
                topicResponse.PartitionResponses.Add(partition);
                var (error, message) = rejection.Item1 != ErrorCode.None ? rejection
                    : lookup.Error != ErrorCode.None ? (lookup.Error, lookup.Message)
                    : partitionData.Index < 0 || partitionData.Index >= lookup.Topic!.PartitionCount
                        ? (ErrorCode.UnknownTopicOrPartition, $"Topic {topicData.Name} has no partition {partitionData.Index}")
                    : (ErrorCode.None, null);
                byte[]? batch = null;
                if (error == ErrorCode.None) (batch, error, message) = SingleBatch(partitionData.Records);
                if (error == ErrorCode.None) (error, message) = await CheckProducerId(services, batch!);
                if (error != ErrorCode.None)
                {
                    Fail(partition, error, message);
                    continue;
                }
                var produce = new Produce(lookup.Topic!.TopicId, partitionData.Index, batch!, context.CorrelationId);
                var lost = services.PartitionHomeLost(lookup.Topic.TopicId, partitionData.Index);
                pending.Add((partition, topicData.Name, batch!, UnlessHomeLost(services.Partitions.Ask<ProduceResult>(produce, timeout), produce, lost)));
            }
        }
        foreach (var (partition, topic, batch, task) in pending)
        {
            try
            {
                var result = await task;
                if (result.Error != ErrorCode.None)
                {
                    Fail(partition, result.Error, result.ErrorMessage);
                    continue;
                }
                partition.BaseOffset = result.BaseOffset;
                partition.LogStartOffset = result.LogStartOffset;
                services.Metrics?.Appended(topic, RecordBatch.RecordCount(batch), batch.Length);
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                Fail(partition, ErrorCode.RequestTimedOut, "The partition did not acknowledge within the request timeout");
            }
        }
        services.Metrics?.Responded(response);
        return response;
    }

    /// <summary>
    /// The partition's answer, or NOT_LEADER_OR_FOLLOWER as soon as its home is lost: sharding sent the request
    /// to a member that will not answer it (<see cref="MemberLoss"/>), and the client's retry after a metadata
    /// refresh reaches the partition's next home long before the ask would time out.
    /// </summary>
    private static async Task<ProduceResult> UnlessHomeLost(Task<ProduceResult> ask, Produce produce, CancellationToken lost)
    {
        if (!lost.CanBeCanceled) return await ask;
        try
        {
            return await ask.WaitAsync(lost);
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
            // The ask still ends (answered or timed out): observe it, nobody else will.
            _ = ask.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return new ProduceResult(produce.TopicId, produce.Partition, produce.CorrelationId, ErrorCode.NotLeaderOrFollower,
                $"The member hosting partition {produce.Partition} is unreachable or gone; its partitions are moving to a survivor", -1, -1);
        }
    }

    private readonly record struct TopicLookupResult(Topics.TopicInfo? Topic, ErrorCode Error, string? Message);

    private static async Task<TopicLookupResult> Lookup(KafkaServices services, string name)
    {
        try
        {
            var lookup = await services.LookupAsync(name, autoCreate: true);
            return new TopicLookupResult(lookup.Topic, lookup.Topic is null ? lookup.Error : ErrorCode.None, lookup.ErrorMessage);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return new TopicLookupResult(null, ErrorCode.LeaderNotAvailable, "The topic registry did not answer in time");
        }
    }

    /// <summary>Produce v3+ carries exactly one RecordBatch v2 per partition (Kafka refuses anything else).</summary>
    private static (byte[]? Batch, ErrorCode Error, string? Message) SingleBatch(RecordSet? records)
    {
        if (records is null || records.Length == 0) return (null, ErrorCode.InvalidRecord, "The partition's record set is empty");
        var bytes = records.Parts.Count == 1 && MemoryMarshal.TryGetArray(records.Parts[0], out var segment)
            && segment.Offset == 0 && segment.Count == segment.Array!.Length ? segment.Array : records.ToArray();
        var ranges = new List<(int Start, int Length)>(1);
        if (!RecordBatch.Split(bytes, ranges) || ranges.Count == 0)
            return (null, ErrorCode.CorruptMessage, "The record set does not end on a record batch boundary");
        if (ranges.Count > 1)
            return (null, ErrorCode.InvalidRecord, $"Produce requests of v3 and later must carry exactly one record batch per partition, got {ranges.Count}");
        return (bytes, ErrorCode.None, null);
    }

    /// <summary>
    /// An idempotent batch must name an id InitProducerId handed out: otherwise any client could pick another's
    /// id and fence it (a higher epoch) or take its next sequence. UNKNOWN_PRODUCER_ID makes a real client ask
    /// for a new id. Checked here, at the edge, against a node-local bound: no round trip per batch.
    /// </summary>
    private static async ValueTask<(ErrorCode Error, string? Message)> CheckProducerId(KafkaServices services, byte[] batch)
    {
        var producerId = RecordBatch.ProducerId(batch);
        if (producerId == -1) return (ErrorCode.None, null);
        if (producerId < -1 || RecordBatch.ProducerEpoch(batch) < 0 || RecordBatch.BaseSequence(batch) < 0)
            return (ErrorCode.InvalidRecord, $"Producer id {producerId} needs a non-negative epoch and base sequence, got {RecordBatch.ProducerEpoch(batch)} and {RecordBatch.BaseSequence(batch)}");
        try
        {
            return await services.AllocatedProducerIds.IsAllocatedAsync(producerId)
                ? (ErrorCode.None, null)
                : (ErrorCode.UnknownProducerId, $"Producer id {producerId} was not allocated by this cluster: ask InitProducerId for one");
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return (ErrorCode.RequestTimedOut, "The producer id allocator did not answer in time");
        }
    }

    private static void Fail(ProduceResponse.PartitionProduceResponse partition, ErrorCode error, string? message)
    {
        partition.ErrorCode = (short)error;
        partition.ErrorMessage = message;
        partition.BaseOffset = -1;
    }
}
