using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Platform.Actors.Partitions;
using Platform.Actors.Topics;
using Platform.Protocol.Records;

namespace Platform.Specs.Partitions;

/// <summary>One step in a partition's history, as the actor would carry it out.</summary>
public abstract record PartitionStep
{
    /// <summary>A batch of <paramref name="Records"/> records arrives; its write stays in flight until a <see cref="Write"/>.</summary>
    public sealed record Produce(int Records) : PartitionStep;

    /// <summary>The oldest write in flight completes.</summary>
    public sealed record Write : PartitionStep;

    /// <summary>A retention check with retention.bytes (and retention.ms against a clock at <paramref name="NowMs"/>).</summary>
    public sealed record Retain(long RetentionBytes, long RetentionMs, long NowMs) : PartitionStep;

    /// <summary>Kafka's DeleteRecords with any offset, sensible or not.</summary>
    public sealed record DeleteRecords(long Offset) : PartitionStep;
}

public static class PartitionArbitraries
{
    private static Gen<PartitionStep> Step => Gen.Frequency(
        (4, Gen.Choose(1, 8).Select(n => (PartitionStep)new PartitionStep.Produce(n))),
        (4, Gen.Constant((PartitionStep)new PartitionStep.Write())),
        (1, from bytes in Gen.Elements(-1L, 0L, 150L, 400L, 1_000L)
            from ms in Gen.Elements(-1L, 0L, 10L)
            from now in Gen.Choose(0, 2_000)
            select (PartitionStep)new PartitionStep.Retain(bytes, ms, now)),
        (1, Gen.Choose(-3, 60).Select(offset => (PartitionStep)new PartitionStep.DeleteRecords(offset))));

    public static Arbitrary<PartitionStep[]> Histories() => Arb.From(Gen.ArrayOf(Step));
}

/// <summary>
/// Invariants of <see cref="PartitionState"/> over arbitrary histories of produces, completed writes,
/// retention and DeleteRecords, interleaved as the actor may interleave them.
/// </summary>
public sealed class PartitionStateProperties
{
    private static readonly TopicConfig Config = new(-1, -1, 1 << 20, "delete");

    /// <summary>Runs <paramref name="steps"/>, calling <paramref name="afterEach"/> after every one.</summary>
    private static TestPartition Run(IEnumerable<PartitionStep> steps, Action<TestPartition, PartitionStep, ProduceDecision?> afterEach)
    {
        var log = new TestPartition();
        var sequence = 0;
        foreach (var step in steps)
        {
            ProduceDecision? decision = null;
            switch (step)
            {
                case PartitionStep.Produce produce:
                    decision = log.Accept(TestPartition.Batch(produce.Records, producerId: 1, sequence: sequence));
                    sequence += produce.Records;
                    break;
                case PartitionStep.Write when log.InFlight > 0:
                    log.WriteOne();
                    break;
                case PartitionStep.Retain retain:
                    if (log.State.DecideRetention(Config with { RetentionBytes = retain.RetentionBytes, RetentionMs = retain.RetentionMs }, retain.NowMs) is { } cut)
                        log.State.Apply(cut);
                    break;
                case PartitionStep.DeleteRecords delete:
                    if (log.State.Decide(new DeleteRecordsBefore(log.State.TopicId, 0, delete.Offset)) is DeleteRecordsDecision.Advance advance)
                        log.State.Apply(advance.Event);
                    break;
            }
            afterEach(log, step, decision);
        }
        return log;
    }

    [Property(Arbitrary = new[] { typeof(PartitionArbitraries) }, MaxTest = 200)]
    public void Offsets_are_dense_each_batch_starts_where_the_previous_one_ended(PartitionStep[] history)
    {
        var expected = 0L;
        var log = Run(history, (_, step, decision) =>
        {
            if (step is not PartitionStep.Produce produce) return;
            var append = Assert.IsType<ProduceDecision.Append>(decision);
            Assert.Equal(expected, append.BaseOffset);
            expected += produce.Records;
        });
        log.WriteAll();
        Assert.Equal((expected, expected), (log.State.NextOffset, log.State.HighWatermark));
    }

    [Property(MaxTest = 200)]
    public void A_retry_of_any_of_a_producers_last_five_batches_is_answered_with_its_offset_and_appends_nothing(
        PositiveInt[] batchSizes, NonNegativeInt pick, bool written, int otherRecords)
    {
        var log = new TestPartition();
        var sent = new List<(int Sequence, int Records, long BaseOffset)>();
        var sequence = 0;
        foreach (var size in batchSizes.Select(s => 1 + s.Get % 6))
        {
            // Another producer's batches interleave, so a producer's offsets are not its sequences.
            if (otherRecords % 2 == 0) log.Accept(TestPartition.Batch(1 + Math.Abs(otherRecords % 3)));
            var append = Assert.IsType<ProduceDecision.Append>(log.Accept(TestPartition.Batch(size, producerId: 7, sequence: sequence)));
            sent.Add((sequence, size, append.BaseOffset));
            sequence += size;
        }
        if (written) log.WriteAll();
        if (sent.Count == 0) return;

        var (nextOffset, highWatermark) = (log.State.NextOffset, log.State.HighWatermark);
        var recent = sent.TakeLast(ProducerStateTable.BatchesPerProducer).ToList();
        var retried = recent[pick.Get % recent.Count];
        var decision = log.Accept(TestPartition.Batch(retried.Records, producerId: 7, sequence: retried.Sequence));
        Assert.Equal(retried.BaseOffset, Assert.IsType<ProduceDecision.Duplicate>(decision).OriginalBaseOffset);
        Assert.Equal((nextOffset, highWatermark), (log.State.NextOffset, log.State.HighWatermark));

        // Older than the window: never taken as new data (a gap), never as a duplicate.
        if (sent.Count > ProducerStateTable.BatchesPerProducer)
        {
            var old = sent[pick.Get % (sent.Count - ProducerStateTable.BatchesPerProducer)];
            Assert.Equal(ErrorCode.OutOfOrderSequenceNumber,
                Assert.IsType<ProduceDecision.Reject>(log.Accept(TestPartition.Batch(old.Records, producerId: 7, sequence: old.Sequence))).Error);
        }
    }

    [Property(Arbitrary = new[] { typeof(PartitionArbitraries) }, MaxTest = 300)]
    public void The_log_start_never_moves_backwards_nor_past_the_high_watermark(PartitionStep[] history)
    {
        var previous = 0L;
        Run(history, (log, _, _) =>
        {
            Assert.True(log.State.LogStartOffset >= previous, $"log start moved back from {previous} to {log.State.LogStartOffset}");
            Assert.True(log.State.LogStartOffset <= log.State.HighWatermark);
            Assert.True(log.State.HighWatermark <= log.State.NextOffset);
            previous = log.State.LogStartOffset;
        });
    }

    [Property(Arbitrary = new[] { typeof(PartitionArbitraries) }, MaxTest = 300)]
    public void Fetches_below_the_log_start_or_above_the_high_watermark_are_out_of_range_and_others_are_not(PartitionStep[] history, int offsetSeed)
    {
        var log = Run(history, (_, _, _) => { });
        var (start, hw) = (log.State.LogStartOffset, log.State.HighWatermark);
        foreach (var offset in new[] { start - 1, hw + 1, (long)offsetSeed, start, hw, start + Math.Abs((long)offsetSeed) % (hw - start + 1) })
        {
            var decision = log.State.Decide(TestPartition.Fetch(offset, maxWaitMs: 0));
            var outside = offset < start || offset > hw;
            if (outside)
            {
                var result = Assert.IsType<FetchDecision.Reply>(decision).Result;
                Assert.Equal((ErrorCode.OffsetOutOfRange, hw, start), (result.Error, result.HighWatermark, result.LogStartOffset));
            }
            else
            {
                Assert.False(decision is FetchDecision.Reply { Result.Error: ErrorCode.OffsetOutOfRange }, $"offset {offset} in [{start}, {hw}]");
                if (offset < hw && decision is FetchDecision.Reply served)
                    Assert.Contains(served.Result.Batches, b => RecordBatch.BaseOffset(b) <= offset && offset <= RecordBatch.BaseOffset(b) + RecordBatch.LastOffsetDelta(b));
            }
        }
    }
}
