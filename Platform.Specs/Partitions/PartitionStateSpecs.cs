using System.Buffers.Binary;
using Platform.Actors.Configuration;
using Platform.Actors.Log;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;
using Platform.Protocol.Records;

namespace Platform.Specs.Partitions;

/// <summary>
/// A partition's decisions without an ActorSystem: validation, idempotence, offsets, the log start, fetches
/// and snapshots. <see cref="PartitionStateProperties"/> checks the invariants over arbitrary histories.
/// </summary>
public sealed class PartitionStateSpecs
{
    private static readonly TopicConfig Config = new(RetentionMs: -1, RetentionBytes: -1, MaxMessageBytes: 10_000, CleanupPolicy: "delete");

    private static ProduceDecision.Reject? Validate(byte[] batch, int maxMessageBytes) =>
        PartitionState.Validate(batch, maxMessageBytes, TimestampWindow.Unbounded(0), out _);

    [Fact]
    public void A_batch_over_max_message_bytes_is_refused_with_MessageTooLarge_and_nothing_changes()
    {
        var log = new TestPartition();
        var batch = TestPartition.Batch(1, new string('z', 300));
        var decision = log.State.Decide(batch, Config with { MaxMessageBytes = 200 }, nowMs: 0);
        Assert.Equal(ErrorCode.MessageTooLarge, Assert.IsType<ProduceDecision.Reject>(decision).Error);
        Assert.Equal(0, log.State.NextOffset);
    }

    [Fact]
    public void A_wrong_crc_and_garbage_are_CorruptMessage()
    {
        var batch = TestPartition.Batch(1);
        batch[^1] ^= 0xFF;
        Assert.Equal(ErrorCode.CorruptMessage, Validate(batch, 10_000)?.Error);
        Assert.Equal(ErrorCode.CorruptMessage, Validate([1, 2, 3], 10_000)?.Error);
    }

    [Fact]
    public void An_empty_batch_is_InvalidRequest_and_an_unknown_codec_id_is_UnsupportedCompressionType()
    {
        Assert.Equal(ErrorCode.InvalidRequest, Validate(new RecordBatchBuilder().Build(), 10_000)?.Error);
        var unknown = TestPartition.Batch(1);
        BinaryPrimitives.WriteInt16BigEndian(unknown.AsSpan(21), 7);
        BinaryPrimitives.WriteUInt32BigEndian(unknown.AsSpan(17), Crc32C.Compute(unknown.AsSpan(21)));
        Assert.Equal(ErrorCode.UnsupportedCompressionType, Validate(unknown, 10_000)?.Error);
        Assert.Null(Validate(TestPartition.Batch(3), 10_000));
    }

    [Fact]
    public void Deciding_changes_nothing_accepting_takes_the_offsets_and_applying_puts_the_batch_in_the_log()
    {
        var log = new TestPartition();
        var batch = TestPartition.Batch(3);
        var append = Assert.IsType<ProduceDecision.Append>(log.State.Decide(batch, Config, nowMs: 0));
        Assert.Equal((0L, 3, 0L), (append.BaseOffset, append.RecordCount, log.State.NextOffset));

        var appended = log.State.Accept(append, nowMs: 0);
        Assert.Equal((3L, 0L), (log.State.NextOffset, log.State.LogEndOffset)); // taken, not yet written
        Assert.Equal(0, RecordBatch.BaseOffset(appended.Batch));
        var next = Assert.IsType<ProduceDecision.Append>(log.State.Decide(TestPartition.Batch(2), Config, nowMs: 0));
        Assert.Equal(3, next.BaseOffset); // the next batch follows the one in flight

        log.State.Apply(appended, sequenceNr: 1, nowMs: 0);
        Assert.Equal((3L, 3L), (log.State.NextOffset, log.State.HighWatermark));
    }

    [Fact]
    public void A_stale_decision_cannot_be_accepted()
    {
        var log = new TestPartition();
        var first = (ProduceDecision.Append)log.State.Decide(TestPartition.Batch(1), Config, nowMs: 0);
        var second = (ProduceDecision.Append)log.State.Decide(TestPartition.Batch(1), Config, nowMs: 0);
        log.State.Accept(first, 0);
        Assert.Throws<InvalidOperationException>(() => log.State.Accept(second, 0));
    }

    [Fact]
    public void A_retry_of_a_batch_still_in_flight_is_a_duplicate_with_its_offset()
    {
        var log = new TestPartition();
        log.Append(TestPartition.Batch(2));
        log.Accept(TestPartition.Batch(2, producerId: 9, sequence: 0));
        var retry = log.State.Decide(TestPartition.Batch(2, producerId: 9, sequence: 0), Config, nowMs: 0);
        Assert.Equal(2, Assert.IsType<ProduceDecision.Duplicate>(retry).OriginalBaseOffset);
    }

    [Fact]
    public void A_gap_is_OutOfOrderSequenceNumber_and_an_older_epoch_is_InvalidProducerEpoch()
    {
        var log = new TestPartition();
        log.Append(TestPartition.Batch(1, producerId: 9, epoch: 2, sequence: 0));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber,
            Assert.IsType<ProduceDecision.Reject>(log.State.Decide(TestPartition.Batch(1, producerId: 9, epoch: 2, sequence: 5), Config, nowMs: 0)).Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch,
            Assert.IsType<ProduceDecision.Reject>(log.State.Decide(TestPartition.Batch(1, producerId: 9, epoch: 1, sequence: 1), Config, nowMs: 0)).Error);
    }

    [Fact]
    public void A_snapshot_holds_only_written_producers_and_a_restored_state_continues_the_log()
    {
        var log = new TestPartition();
        log.Append(TestPartition.Batch(2, producerId: 1, sequence: 0));
        log.Accept(TestPartition.Batch(3, producerId: 2, sequence: 0)); // in flight: not in the snapshot
        var snapshot = log.State.ToSnapshot();
        Assert.Equal((0L, 2L), (snapshot.LogStartOffset, snapshot.LogEndOffset));
        Assert.Equal([1L], snapshot.Producers!.Select(p => p.ProducerId));

        var restored = new TestPartition();
        restored.State.Restore(snapshot);
        Assert.Equal(2, restored.State.NextOffset);
        Assert.Equal(0, Assert.IsType<ProduceDecision.Duplicate>(restored.State.Decide(TestPartition.Batch(2, producerId: 1, sequence: 0), Config, nowMs: 0)).OriginalBaseOffset);
        Assert.Equal(2, Assert.IsType<ProduceDecision.Append>(restored.State.Decide(TestPartition.Batch(3, producerId: 2, sequence: 0), Config, nowMs: 0)).BaseOffset);
    }

    [Fact]
    public void Recovery_replays_batches_as_written_and_accepted()
    {
        var log = new TestPartition();
        var batch = TestPartition.Batch(4, producerId: 5, sequence: 0);
        RecordBatch.SetBaseOffset(batch, 0);
        log.State.Recover(new RecordBatchAppended(batch), sequenceNr: 1, nowMs: 0);
        Assert.Equal((4L, 4L), (log.State.NextOffset, log.State.LogEndOffset));
        Assert.IsType<ProduceDecision.Duplicate>(log.State.Decide(TestPartition.Batch(4, producerId: 5, sequence: 0), Config, nowMs: 0));
        Assert.Equal([5L], log.State.ToSnapshot().Producers!.Select(p => p.ProducerId));
    }

    [Fact]
    public void Fetches_outside_the_log_are_OffsetOutOfRange_with_its_bounds()
    {
        var log = new TestPartition();
        for (var i = 0; i < 4; i++) log.Append(TestPartition.Batch(5));
        log.State.Apply(new LogStartAdvanced(7, 0));
        foreach (var offset in new[] { -1L, 6, 21 })
        {
            var result = Assert.IsType<FetchDecision.Reply>(log.State.Decide(TestPartition.Fetch(offset))).Result;
            Assert.Equal((ErrorCode.OffsetOutOfRange, 20L, 7L), (result.Error, result.HighWatermark, result.LogStartOffset));
        }
        Assert.Equal(ErrorCode.InvalidFetchSize,
            Assert.IsType<FetchDecision.Reply>(log.State.Decide(TestPartition.Fetch(7, maxBytes: 0))).Result.Error);
    }

    [Fact]
    public void A_fetch_at_the_high_watermark_parks_for_at_most_max_fetch_wait_or_answers_empty_without_a_wait()
    {
        var log = new TestPartition();
        log.Append(TestPartition.Batch(1));
        Assert.Equal(TimeSpan.FromMilliseconds(300), Assert.IsType<FetchDecision.Park>(log.State.Decide(TestPartition.Fetch(1, maxWaitMs: 300))).Wait);
        Assert.Equal(TestPartition.MaxFetchWait, Assert.IsType<FetchDecision.Park>(log.State.Decide(TestPartition.Fetch(1, maxWaitMs: int.MaxValue))).Wait);
        var empty = Assert.IsType<FetchDecision.Reply>(log.State.Decide(TestPartition.Fetch(1, maxWaitMs: 0))).Result;
        Assert.Equal((ErrorCode.None, 0, 1L), (empty.Error, empty.Batches.Count, empty.HighWatermark));
    }

    [Fact]
    public void Recent_offsets_are_served_from_the_tail_and_older_ones_from_the_journal_range_of_their_segment()
    {
        // A tail of 300 bytes keeps only the newest batches; segments of 200 bytes hold about two each.
        var log = new TestPartition(tailBytes: 300);
        for (var i = 0; i < 10; i++) log.Append(TestPartition.Batch(1, "0123456789012345678901234567890123456789"));
        var recent = Assert.IsType<FetchDecision.Reply>(log.State.Decide(TestPartition.Fetch(9))).Result;
        Assert.Equal(9, RecordBatch.BaseOffset(Assert.Single(recent.Batches)));

        var old = Assert.IsType<FetchDecision.ReadJournal>(log.State.Decide(TestPartition.Fetch(1, maxBytes: 1)));
        var segment = log.State.ToSnapshot().Segments.First(s => s.BaseOffset <= 1 && 1 < s.NextOffset);
        Assert.Equal((segment.FirstSequenceNr, 10L, 0L), (old.FromSequenceNr, old.HighWatermark, old.LogStartOffset));
    }

    [Fact]
    public void DeleteRecords_at_minus_one_moves_the_log_start_to_the_high_watermark_and_beyond_it_is_out_of_range()
    {
        var log = new TestPartition();
        for (var i = 0; i < 3; i++) log.Append(TestPartition.Batch(2));
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.IsType<DeleteRecordsDecision.Reply>(log.State.Decide(new DeleteRecordsBefore(log.State.TopicId, 0, 7))).Result.Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.IsType<DeleteRecordsDecision.Reply>(log.State.Decide(new DeleteRecordsBefore(log.State.TopicId, 0, -2))).Result.Error);
        var advance = Assert.IsType<DeleteRecordsDecision.Advance>(log.State.Decide(new DeleteRecordsBefore(log.State.TopicId, 0, -1)));
        Assert.Equal(6, advance.Event.LogStartOffset);
        log.State.Apply(advance.Event);
        Assert.Equal((ErrorCode.None, 6L), (log.State.RecordsDeleted().Error, log.State.RecordsDeleted().LowWatermark));
        var again = Assert.IsType<DeleteRecordsDecision.Reply>(log.State.Decide(new DeleteRecordsBefore(log.State.TopicId, 0, 3))).Result;
        Assert.Equal((ErrorCode.None, 6L), (again.Error, again.LowWatermark)); // at or below the log start: nothing to do
    }

    [Fact]
    public void Retention_by_size_cuts_whole_old_segments_and_keeps_everything_when_disabled()
    {
        var log = new TestPartition();
        for (var i = 0; i < 10; i++) log.Append(TestPartition.Batch(1, "0123456789012345678901234567890123456789"));
        Assert.Null(log.State.DecideRetention(Config, nowMs: 0));
        var cut = log.State.DecideRetention(Config with { RetentionBytes = 300 }, nowMs: 0);
        Assert.NotNull(cut);
        log.State.Apply(cut);
        Assert.True(log.State.SizeBytes >= 300);
        Assert.Equal(cut.LogStartOffset, log.State.LogStartOffset);
        Assert.Contains(log.State.ToSnapshot().Segments, s => s.BaseOffset == cut.LogStartOffset);
    }
}

/// <summary>A <see cref="PartitionState"/> with the actor's three steps (decide, accept, apply) done by hand.</summary>
internal sealed class TestPartition
{
    public static readonly TimeSpan MaxFetchWait = TimeSpan.FromSeconds(5);

    private static readonly TopicConfig AnyConfig = new(-1, -1, 1 << 20, "delete");

    private readonly Queue<RecordBatchAppended> _inFlight = new();
    private long _sequenceNr;

    public TestPartition(long tailBytes = 1 << 20, long indexIntervalBytes = 200, int maxProducers = 10_000)
    {
        var settings = new PartitionSettings(NumberOfShards: 1, SnapshotEvery: 100, IndexIntervalBytes: indexIntervalBytes,
            RetentionCheckInterval: TimeSpan.FromMinutes(1), MaxFetchWait: MaxFetchWait, MaxJournalReadEvents: 1000,
            TailMaxBytesPerPartition: tailBytes, ProducerIdExpiration: TimeSpan.FromDays(1),
            TopicLookupRetry: TimeSpan.FromSeconds(2), JournalReadTimeout: TimeSpan.FromSeconds(30),
            LogAppendTime: false, TimestampBeforeMaxMs: long.MaxValue, TimestampAfterMaxMs: 3_600_000, MaxProducers: maxProducers,
            MaxParkedFetches: 1000, MaxJournalReaders: 4, SnapshotDeleteEvery: 10, IdleJournalCheck: TimeSpan.FromSeconds(10));
        State = new PartitionState(Guid.NewGuid(), 0, settings, new TailCache(new TailCacheBudget(1 << 30), tailBytes));
    }

    public PartitionState State { get; }

    public int InFlight => _inFlight.Count;

    public static byte[] Batch(int records, string value = "v", long producerId = -1, short epoch = 0, int sequence = -1, long timestamp = 1_000)
    {
        var builder = new RecordBatchBuilder();
        for (var i = 0; i < records; i++) builder.Add(timestamp, null, System.Text.Encoding.UTF8.GetBytes(value));
        return producerId < 0 ? builder.Build() : builder.Build(producerId: producerId, producerEpoch: epoch, baseSequence: sequence);
    }

    public static Fetch Fetch(long offset, int maxBytes = 1 << 20, int maxWaitMs = 0) =>
        new(Guid.Empty, 0, offset, maxBytes, maxWaitMs, CorrelationId: 1);

    /// <summary>Decides and accepts a batch (its write is then in flight); the decision as the actor saw it.</summary>
    public ProduceDecision Accept(byte[] batch)
    {
        var decision = State.Decide(batch, AnyConfig, nowMs: 0);
        if (decision is ProduceDecision.Append append) _inFlight.Enqueue(State.Accept(append, nowMs: 0));
        return decision;
    }

    /// <summary>The oldest write in flight completes.</summary>
    public void WriteOne() => State.Apply(_inFlight.Dequeue(), ++_sequenceNr, nowMs: 0);

    public void WriteAll()
    {
        while (_inFlight.Count > 0) WriteOne();
    }

    /// <summary>Decides, accepts and writes a batch; the decision.</summary>
    public ProduceDecision Append(byte[] batch)
    {
        var decision = Accept(batch);
        WriteAll();
        return decision;
    }
}
