using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Serialization;
using Platform.Actors.Topics;

namespace Platform.Actors.Partitions;

/// <summary>
/// A message for one partition. The shard extractor routes it by <see cref="TopicId"/> and
/// <see cref="Partition"/>; both go into the entity id, so a re-created topic never reaches an old log.
/// </summary>
internal interface IPartitionMessage : IPlatformMessage
{
    Guid TopicId { get; }
    int Partition { get; }
}

/// <summary>
/// A partition message that expects an answer: whoever cannot serve it (the registry for an unknown topic id
/// or a partition out of range, the partition for a deleted topic or a failed write) answers with a Kafka
/// error through <see cref="Reject"/>, in the reply type the sender waits for.
/// </summary>
internal interface IPartitionRequest : IPartitionMessage
{
    IPlatformMessage Reject(ErrorCode error, string message);
}

/// <summary>
/// Append one RecordBatch v2. The partition assigns the base offset by writing it into
/// <paramref name="Batch"/> (the field is outside the CRC), persists, and only then acknowledges.
/// <paramref name="CorrelationId"/> lets a pipelining client match results without an Ask per batch.
/// </summary>
internal sealed record Produce(Guid TopicId, int Partition, byte[] Batch, long CorrelationId) : IPartitionRequest
{
    public IPlatformMessage Reject(ErrorCode error, string message) =>
        new ProduceResult(TopicId, Partition, CorrelationId, error, message, -1, -1);
}

/// <summary>Acknowledgement of a <see cref="Produce"/>: the batch's first offset once it is in the journal.</summary>
internal sealed record ProduceResult(
    Guid TopicId, int Partition, long CorrelationId, ErrorCode Error, string? ErrorMessage, long BaseOffset, long LogStartOffset)
    : IPlatformMessage;

/// <summary>
/// Read batches from <paramref name="Offset"/> on, up to about <paramref name="MaxBytes"/> (at least one
/// whole batch is always returned, as in Kafka). At the log end the fetch waits up to
/// <paramref name="MaxWaitMs"/> for data.
/// </summary>
internal sealed record Fetch(Guid TopicId, int Partition, long Offset, int MaxBytes, int MaxWaitMs, long CorrelationId) : IPartitionRequest
{
    public IPlatformMessage Reject(ErrorCode error, string message) =>
        new FetchResult(TopicId, Partition, CorrelationId, error, message, -1, -1, []);
}

/// <summary>
/// Batches exactly as stored (RecordBatch v2 with their offsets); the first may start before the
/// requested offset, and readers skip those records, as Kafka consumers do.
/// </summary>
internal sealed record FetchResult(
    Guid TopicId, int Partition, long CorrelationId, ErrorCode Error, string? ErrorMessage,
    long HighWatermark, long LogStartOffset, IReadOnlyList<byte[]> Batches) : IPlatformMessage;

/// <summary>Offsets and placement of a partition: what describe and ListOffsets need.</summary>
internal sealed record GetPartitionStatus(Guid TopicId, int Partition) : IPartitionRequest
{
    public IPlatformMessage Reject(ErrorCode error, string message) =>
        new PartitionStatus(TopicId, Partition, error, message, -1, -1, "", 0, 0);
}

/// <param name="Leader">Address of the node hosting the partition (its leader).</param>
/// <param name="SizeBytes">Bytes of record batches between log start and log end.</param>
/// <param name="LastRecoveryMs">How long this incarnation took to recover from its snapshot and journal.</param>
internal sealed record PartitionStatus(
    Guid TopicId, int Partition, ErrorCode Error, string? ErrorMessage,
    long LogStartOffset, long HighWatermark, string Leader, long SizeBytes, long LastRecoveryMs) : IPlatformMessage;

/// <summary>
/// Where to start looking for the first record at or after <paramref name="Timestamp"/> (ms): the base offset of
/// the first segment whose newest record is that recent, or the high watermark if none is. Segment
/// granularity keeps it an index lookup; the client scans forward from there (Kafka's ListOffsets by time).
/// </summary>
internal sealed record FindOffsetForTimestamp(Guid TopicId, int Partition, long Timestamp) : IPartitionRequest
{
    public IPlatformMessage Reject(ErrorCode error, string message) => new OffsetForTimestamp(TopicId, Partition, error, message, -1);
}

internal sealed record OffsetForTimestamp(Guid TopicId, int Partition, ErrorCode Error, string? ErrorMessage, long Offset) : IPlatformMessage;

/// <summary>Stops the partition so that its next message recovers it anew; used to measure recovery.</summary>
internal sealed record RestartPartition(Guid TopicId, int Partition) : IPartitionRequest
{
    public IPlatformMessage Reject(ErrorCode error, string message) =>
        new PartitionStatus(TopicId, Partition, error, message, -1, -1, "", 0, 0);
}

/// <summary>
/// Sharding's hand-off stop message for partitions (local only, never serialized): the partition stops
/// after its pending journal writes have completed and been acknowledged, so the next incarnation, on
/// another node, recovers every batch this one accepted. A PoisonPill would stop it with writes in flight.
/// </summary>
internal sealed class StopPartition
{
    public static readonly StopPartition Instance = new();
}

/// <summary>Sent by the registry when a topic is deleted: drop the journal and snapshots, then stop.</summary>
internal sealed record DeletePartition(Guid TopicId, int Partition) : IPartitionMessage;

/// <summary>
/// Starts a partition without a client request, so retention runs after a node restart. The registry sends
/// it for every partition once it has recovered.
/// </summary>
internal sealed record WakePartition(Guid TopicId, int Partition) : IPartitionMessage;

/// <summary>
/// Sent by the registry when the topic's configs change: the partition enforces <paramref name="Config"/>
/// from its next message on (max.message.bytes on produce, retention on its next check).
/// </summary>
internal sealed record ApplyTopicConfig(Guid TopicId, int Partition, TopicConfig Config) : IPartitionMessage;

/// <summary>
/// Kafka's DeleteRecords for one partition: move the log start to <paramref name="Offset"/> (-1 means the
/// high watermark). Records below it are never served again and journal events wholly below it are deleted.
/// </summary>
internal sealed record DeleteRecordsBefore(Guid TopicId, int Partition, long Offset) : IPartitionRequest
{
    public IPlatformMessage Reject(ErrorCode error, string message) => new DeleteRecordsResult(TopicId, Partition, error, message, -1);
}

/// <summary>The outcome of <see cref="DeleteRecordsBefore"/>: the partition's low watermark (log start) after it.</summary>
internal sealed record DeleteRecordsResult(Guid TopicId, int Partition, ErrorCode Error, string? ErrorMessage, long LowWatermark) : IPlatformMessage;

// Journal events and snapshot of a partition.

/// <summary>
/// The journal event for one appended batch. Its serialized form is the RecordBatch v2 itself, base offset
/// included: the same bytes travel from producer to journal to consumer without re-encoding.
/// </summary>
internal sealed record RecordBatchAppended(byte[] Batch) : IPlatformMessage;

/// <summary>
/// Retention or DeleteRecords moved the log start: events up to <paramref name="DeletedToSequenceNr"/> (0 for
/// none) are being deleted.
/// </summary>
internal sealed record LogStartAdvanced(long LogStartOffset, long DeletedToSequenceNr) : IPlatformMessage;

/// <summary>
/// Offsets, the segment index and the idempotent producers' state; never records, so recovery is fast
/// whatever the log's size.
/// </summary>
internal sealed record PartitionSnapshot(long LogStartOffset, long LogEndOffset, IReadOnlyList<Segment> Segments,
    IReadOnlyList<ProducerState>? Producers = null) : IPlatformMessage;
