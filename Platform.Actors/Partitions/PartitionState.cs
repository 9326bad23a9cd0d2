using Platform.Actors.Configuration;
using Platform.Actors.Log;
using Platform.Actors.Topics;
using Platform.Protocol.Records;

namespace Platform.Actors.Partitions;

/// <summary>
/// One partition's log as a pure state, without an actor: it validates produced batches, judges them
/// against the idempotent producers, assigns offsets, applies the journal's events, decides retention,
/// DeleteRecords and fetches, and says what a snapshot holds. The <see cref="PartitionActor"/> persists
/// what it decides, replies, runs timers and starts journal readers.
/// <para>
/// A batch lives through three steps: <see cref="Decide(byte[], TopicConfig, long)"/> (validation, idempotence,
/// the offset it would take), <see cref="Accept"/> (the offsets are taken, so the next batch follows it
/// even before this one is written) and <see cref="Apply(RecordBatchAppended, long, long)"/> (it is in the
/// journal: the log, the tail and the written producers' state include it).
/// </para>
/// </summary>
internal sealed class PartitionState
{
    private readonly PartitionSettings _settings;
    private readonly PartitionLog _log;
    private readonly TailCache _tail;
    /// <summary>Idempotent producers as of every batch accepted, written or not: what new batches are judged by.</summary>
    private readonly ProducerStateTable _acceptedProducers;
    /// <summary>The same as of the batches in the journal only: what a snapshot may say.</summary>
    private readonly ProducerStateTable _writtenProducers;

    public PartitionState(Guid topicId, int partition, PartitionSettings settings, TailCache tail)
    {
        TopicId = topicId;
        Partition = partition;
        _settings = settings;
        _log = new PartitionLog(settings.IndexIntervalBytes);
        _tail = tail;
        _acceptedProducers = new ProducerStateTable(settings.MaxProducers);
        _writtenProducers = new ProducerStateTable(settings.MaxProducers);
    }

    public Guid TopicId { get; }

    public int Partition { get; }

    public long LogStartOffset => _log.LogStartOffset;

    /// <summary>One past the last offset in the journal. With one copy of the log this is also the high watermark.</summary>
    public long LogEndOffset => _log.LogEndOffset;

    public long HighWatermark => _log.LogEndOffset;

    /// <summary>The offset the next accepted batch takes: ahead of <see cref="LogEndOffset"/> while writes are in flight.</summary>
    public long NextOffset { get; private set; }

    public long SizeBytes => _log.SizeBytes;

    // ---- Produce ---------------------------------------------------------------------------------

    /// <summary>
    /// Whether a produced batch may be stored at all: within the topic's max.message.bytes, a well-formed
    /// RecordBatch v2 whose CRC32C matches, holding records, each of which parses and agrees with the header
    /// (<see cref="RecordBatchValidator"/>, Kafka's LogValidator) with timestamps inside <paramref name="window"/>.
    /// On success, <paramref name="maxTimestamp"/> is what the stored header will say.
    /// </summary>
    public static ProduceDecision.Reject? Validate(byte[] batch, int maxMessageBytes, TimestampWindow window, out long maxTimestamp)
    {
        maxTimestamp = -1;
        if (batch.Length > maxMessageBytes)
            return new(ErrorCode.MessageTooLarge, $"Batch of {batch.Length} bytes exceeds max.message.bytes={maxMessageBytes} of the topic");
        switch (RecordBatch.Validate(batch))
        {
            case BatchError.None:
                break;
            case BatchError.CorruptMessage:
                return new(ErrorCode.CorruptMessage, "Record batch CRC32C does not match its contents");
            case var error:
                return new(ErrorCode.CorruptMessage, $"Malformed record batch: {error}");
        }
        if (RecordBatch.RecordCount(batch) == 0) return new(ErrorCode.InvalidRequest, "Record batch holds no records");
        var validation = RecordBatchValidator.Validate(batch, window);
        if (!validation.IsValid) return new(validation.Error, validation.Message!);
        maxTimestamp = window.LogAppendTime ? window.NowMs : validation.MaxTimestamp;
        return null;
    }

    /// <summary>
    /// Decides a produced batch without changing anything: refused (<see cref="Validate"/>, or Kafka's
    /// sequence rules for idempotent producers), a duplicate of a batch already taken, or appended at
    /// <see cref="NextOffset"/>.
    /// </summary>
    public ProduceDecision Decide(byte[] batch, TopicConfig config, long nowMs)
    {
        var window = _settings.TimestampWindow(nowMs, config);
        if (Validate(batch, config.MaxMessageBytes, window, out var maxTimestamp) is { } invalid) return invalid;
        var count = RecordBatch.RecordCount(batch);
        var (producerId, epoch, sequence) = (RecordBatch.ProducerId(batch), RecordBatch.ProducerEpoch(batch), RecordBatch.BaseSequence(batch));
        return _acceptedProducers.Check(producerId, epoch, sequence, count, out var originalOffset) switch
        {
            SequenceVerdict.Duplicate => new ProduceDecision.Duplicate(originalOffset),
            SequenceVerdict.OutOfOrder => new ProduceDecision.Reject(ErrorCode.OutOfOrderSequenceNumber,
                $"Producer {producerId} sent sequence {sequence} but an earlier batch of it is missing"),
            SequenceVerdict.Fenced => new ProduceDecision.Reject(ErrorCode.InvalidProducerEpoch,
                $"Producer {producerId} epoch {epoch} is older than one already seen"),
            SequenceVerdict.Unknown => new ProduceDecision.Reject(ErrorCode.UnknownProducerId,
                $"Producer {producerId} is not known to this partition and its batch starts at sequence {sequence}, not 0"),
            _ => new ProduceDecision.Append(batch, NextOffset, count, maxTimestamp, window.LogAppendTime),
        };
    }

    /// <summary>
    /// Takes the offsets of an appended batch: writes its base offset into the batch (outside the CRC),
    /// moves <see cref="NextOffset"/> past it and remembers it for its producer's retries. Returns the
    /// journal event to persist.
    /// </summary>
    public RecordBatchAppended Accept(ProduceDecision.Append append, long nowMs)
    {
        if (append.BaseOffset != NextOffset)
            throw new InvalidOperationException($"A decision for offset {append.BaseOffset} is stale: the next offset is {NextOffset}");
        RecordBatch.SetBaseOffset(append.Batch, append.BaseOffset);
        RecordBatch.SetMaxTimestamp(append.Batch, append.MaxTimestamp, append.LogAppendTime);
        NextOffset += append.RecordCount;
        RecordProducer(_acceptedProducers, append.Batch, nowMs);
        return new RecordBatchAppended(append.Batch);
    }

    /// <summary>An accepted batch is in the journal as event <paramref name="sequenceNr"/>: the log now holds it.</summary>
    public void Apply(RecordBatchAppended appended, long sequenceNr, long nowMs)
    {
        var batch = appended.Batch;
        var baseOffset = RecordBatch.BaseOffset(batch);
        var count = RecordBatch.LastOffsetDelta(batch) + 1;
        _log.Append(baseOffset, count, batch.Length, RecordBatch.MaxTimestamp(batch), sequenceNr);
        _tail.Add(baseOffset, baseOffset + count, batch);
        RecordProducer(_writtenProducers, batch, nowMs);
    }

    /// <summary>A batch replayed from the journal on recovery: written, and therefore also accepted.</summary>
    public void Recover(RecordBatchAppended appended, long sequenceNr, long nowMs)
    {
        Apply(appended, sequenceNr, nowMs);
        RecordProducer(_acceptedProducers, appended.Batch, nowMs);
        NextOffset = _log.LogEndOffset;
    }

    /// <summary>The acknowledgement of a stored batch (or of the retry of one).</summary>
    public ProduceResult Acknowledge(Produce produce, long baseOffset) =>
        new(TopicId, Partition, produce.CorrelationId, ErrorCode.None, null, baseOffset, LogStartOffset);

    /// <summary>Recovery time or append time stands in for the producer's last activity: it only delays expiry.</summary>
    private static void RecordProducer(ProducerStateTable table, byte[] batch, long nowMs) =>
        table.Record(RecordBatch.ProducerId(batch), RecordBatch.ProducerEpoch(batch), RecordBatch.BaseSequence(batch),
            RecordBatch.RecordCount(batch), RecordBatch.BaseOffset(batch), nowMs);

    // ---- Log start: retention and DeleteRecords ---------------------------------------------------

    /// <summary>Forgets idempotent producers silent for longer than producer-id-expiration.</summary>
    public void ExpireProducers(long nowMs)
    {
        var maxIdleMs = (long)_settings.ProducerIdExpiration.TotalMilliseconds;
        _acceptedProducers.Expire(nowMs, maxIdleMs);
        _writtenProducers.Expire(nowMs, maxIdleMs);
    }

    /// <summary>Where the topic's retention.ms and retention.bytes move the log start now; null if they keep everything.</summary>
    public LogStartAdvanced? DecideRetention(TopicConfig config, long nowMs) =>
        _log.Retention(nowMs, config.RetentionMs, config.RetentionBytes) is { } cut
            ? new LogStartAdvanced(cut.NewLogStartOffset, cut.DeleteToSequenceNr)
            : null;

    /// <summary>
    /// Kafka's DeleteRecords: -1 is the high watermark, anything else outside [0, high watermark] is out of
    /// range, and an offset at or below the log start changes nothing.
    /// </summary>
    public DeleteRecordsDecision Decide(DeleteRecordsBefore request)
    {
        var offset = request.Offset == -1 ? HighWatermark : request.Offset;
        if (offset < 0 || offset > HighWatermark)
            return new DeleteRecordsDecision.Reply(new DeleteRecordsResult(TopicId, Partition, ErrorCode.OffsetOutOfRange,
                $"Cannot delete records before offset {request.Offset}: it is outside [0, {HighWatermark}] (the high watermark)", LogStartOffset));
        if (offset <= LogStartOffset) return new DeleteRecordsDecision.Reply(RecordsDeleted());
        return new DeleteRecordsDecision.Advance(new LogStartAdvanced(offset, _log.LastSequenceNrBelow(offset)));
    }

    /// <summary>The answer to a DeleteRecords that is done: the log start (Kafka's low watermark) now.</summary>
    public DeleteRecordsResult RecordsDeleted() => new(TopicId, Partition, ErrorCode.None, null, LogStartOffset);

    /// <summary>Retention or DeleteRecords moved the log start; it never moves backwards, nor past the log end.</summary>
    public void Apply(LogStartAdvanced advanced)
    {
        _log.AdvanceLogStart(advanced.LogStartOffset);
        _tail.TruncateBefore(advanced.LogStartOffset);
    }

    // ---- Fetch -----------------------------------------------------------------------------------

    /// <summary>
    /// Decides a fetch: outside [log start, high watermark] it is out of range; at the high watermark it
    /// waits (at most max-fetch-wait); below it, it is served from the tail or the journal.
    /// </summary>
    public FetchDecision Decide(Fetch fetch)
    {
        if (fetch.Offset < LogStartOffset || fetch.Offset > HighWatermark)
        {
            var rejected = (FetchResult)fetch.Reject(ErrorCode.OffsetOutOfRange,
                $"Offset {fetch.Offset} is outside the log [{LogStartOffset}, {HighWatermark}] of partition {Partition}");
            return new FetchDecision.Reply(rejected with { HighWatermark = HighWatermark, LogStartOffset = LogStartOffset });
        }
        if (fetch.MaxBytes <= 0)
            return new FetchDecision.Reply((FetchResult)fetch.Reject(ErrorCode.InvalidFetchSize, $"Fetch max bytes must be positive, got {fetch.MaxBytes}"));
        if (fetch.Offset == HighWatermark)
        {
            var waitMs = Math.Min(fetch.MaxWaitMs, (long)_settings.MaxFetchWait.TotalMilliseconds);
            return waitMs <= 0 ? new FetchDecision.Reply(Empty(fetch)) : new FetchDecision.Park(TimeSpan.FromMilliseconds(waitMs));
        }
        return Serve(fetch);
    }

    /// <summary>
    /// Where the batches of a fetch within the log come from: the in-memory tail when it reaches back far
    /// enough, else the journal range the segment index points at (at most max-journal-read-events).
    /// </summary>
    public FetchDecision Serve(Fetch fetch)
    {
        var batches = new List<byte[]>();
        if (_tail.TryRead(fetch.Offset, fetch.MaxBytes, batches))
            return new FetchDecision.Reply(new FetchResult(TopicId, Partition, fetch.CorrelationId, ErrorCode.None, null,
                HighWatermark, LogStartOffset, batches));
        return _log.Locate(fetch.Offset, fetch.MaxBytes, _settings.MaxJournalReadEvents) is { } range
            ? new FetchDecision.ReadJournal(range.FromSequenceNr, range.ToSequenceNr, HighWatermark, LogStartOffset)
            : new FetchDecision.Reply(Empty(fetch));
    }

    /// <summary>No batches, with the offsets as they are now.</summary>
    public FetchResult Empty(Fetch fetch) =>
        new(TopicId, Partition, fetch.CorrelationId, ErrorCode.None, null, HighWatermark, LogStartOffset, []);

    // ---- Queries and snapshots -------------------------------------------------------------------

    public PartitionStatus Status(string leader, long lastRecoveryMs) =>
        new(TopicId, Partition, ErrorCode.None, null, LogStartOffset, HighWatermark, leader, SizeBytes, lastRecoveryMs);

    /// <summary>Kafka's ListOffsets by time, at segment granularity and never below the log start.</summary>
    public OffsetForTimestamp Find(FindOffsetForTimestamp find) =>
        new(TopicId, Partition, ErrorCode.None, null, Math.Max(LogStartOffset, _log.SegmentStartForTimestamp(find.Timestamp)));

    /// <summary>What a snapshot holds: offsets, the segment index and the producers as of the journal; never records.</summary>
    public PartitionSnapshot ToSnapshot()
    {
        var (start, end, segments) = _log.Snapshot();
        return new PartitionSnapshot(start, end, segments, _writtenProducers.Snapshot());
    }

    public void Restore(PartitionSnapshot snapshot)
    {
        _log.Restore(snapshot.LogStartOffset, snapshot.LogEndOffset, snapshot.Segments);
        _acceptedProducers.Restore(snapshot.Producers ?? []);
        _writtenProducers.Restore(snapshot.Producers ?? []);
        NextOffset = _log.LogEndOffset;
    }

    /// <summary>Releases the tail's share of the node's memory budget (the partition stops or is deleted).</summary>
    public void ClearTail() => _tail.Clear();
}
