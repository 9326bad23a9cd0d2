using Platform.Actors;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Specs.Support;

namespace Platform.Specs.Partitions;

/// <summary>
/// Kafka's idempotent producer on a partition: a retried batch that was already stored is acknowledged
/// with its original offset and not appended again, also after the partition recovered from the journal
/// or from a snapshot; a gap or a zombie epoch is refused with Kafka's error.
/// </summary>
public sealed class IdempotenceSpecs(NodeFixture node) : IClassFixture<NodeFixture>
{
    private static string Name() => $"i-{Guid.NewGuid():N}"[..12];

    private static byte[] Batch(long producerId, short epoch, int sequence, params string[] values)
    {
        var builder = new RecordBatchBuilder();
        foreach (var value in values) builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, System.Text.Encoding.UTF8.GetBytes(value), null);
        return builder.Build(producerId: producerId, producerEpoch: epoch, baseSequence: sequence);
    }

    private ProduceResult Send(Platform.Actors.Topics.TopicInfo topic, byte[] batch)
    {
        var probe = node.Probe();
        node.Node.Gateway.Tell(new Produce(topic.TopicId, 0, batch, 1), probe.Ref);
        return probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_retried_batch_is_acknowledged_with_its_first_offset_and_stored_once()
    {
        var topic = node.CreateTopic(Name());
        Assert.Equal(0, Send(topic, Batch(42, 0, 0, "a", "b")).BaseOffset);
        Assert.Equal(2, Send(topic, Batch(42, 0, 2, "c")).BaseOffset);
        var retry = Send(topic, Batch(42, 0, 0, "a", "b"));
        Assert.Equal((ErrorCode.None, 0L), (retry.Error, retry.BaseOffset));
        Assert.Equal(3, Send(topic, Batch(42, 0, 3, "d")).BaseOffset);
        Assert.Equal(["a", "b", "c", "d"], node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }

    [Fact]
    public void The_producer_state_survives_a_restart_of_the_partition_from_snapshot_and_journal()
    {
        var topic = node.CreateTopic(Name());
        // The fixture snapshots every 10 events: batches 0-9 are in the snapshot, 10-11 replayed from the journal.
        for (var i = 0; i < 12; i++) Send(topic, Batch(7, 0, i, $"v{i}"));
        var probe = node.Probe();
        node.Node.Gateway.Tell(new RestartPartition(topic.TopicId, 0), probe.Ref);
        probe.ExpectMsg<PartitionStatus>(TimeSpan.FromSeconds(10));
        var fromSnapshot = Send(topic, Batch(7, 0, 8, "v8"));
        Assert.Equal((ErrorCode.None, 8L), (fromSnapshot.Error, fromSnapshot.BaseOffset));
        var fromJournal = Send(topic, Batch(7, 0, 11, "v11"));
        Assert.Equal((ErrorCode.None, 11L), (fromJournal.Error, fromJournal.BaseOffset));
        Assert.Equal(12, Send(topic, Batch(7, 0, 12, "v12")).BaseOffset);
        Assert.Equal(Enumerable.Range(0, 13).Select(i => $"v{i}"), node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }

    [Fact]
    public void The_verdicts_answer_with_kafkas_error_numbers()
    {
        var topic = node.CreateTopic(Name());
        var first = Send(topic, Batch(11, 2, 0, "a"));
        Assert.Equal((ErrorCode.None, 0L), (first.Error, first.BaseOffset));
        var outOfOrder = Send(topic, Batch(11, 2, 2, "gap"));
        Assert.Equal(45, (short)outOfOrder.Error); // OUT_OF_ORDER_SEQUENCE_NUMBER
        Assert.Equal((-1L, -1L), (outOfOrder.BaseOffset, outOfOrder.LogStartOffset));
        var fenced = Send(topic, Batch(11, 1, 1, "zombie"));
        Assert.Equal(47, (short)fenced.Error); // INVALID_PRODUCER_EPOCH
        Assert.Equal(-1L, fenced.BaseOffset);
        var unknown = Send(topic, Batch(12, 0, 3, "late"));
        Assert.Equal(59, (short)unknown.Error); // UNKNOWN_PRODUCER_ID
        Assert.Equal(["a"], node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }

    [Fact]
    public void A_retry_of_any_remembered_batch_is_acknowledged_with_its_original_offset_even_after_other_producers_wrote()
    {
        var topic = node.CreateTopic(Name());
        var offsets = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            offsets.Add(Send(topic, Batch(21, 0, i * 2, $"p{i}a", $"p{i}b")).BaseOffset);
            Send(topic, NodeFixture.Batch($"other{i}")); // interleaved, so offsets and sequences differ
        }
        // The second of four batches, not the newest: still in the window of five.
        var retry = Send(topic, Batch(21, 0, 2, "p1a", "p1b"));
        Assert.Equal((ErrorCode.None, offsets[1]), (retry.Error, retry.BaseOffset));
        Assert.Equal(12, node.Status(topic, 0).HighWatermark); // nothing appended by the retry
    }

    [Fact]
    public void A_new_epoch_must_start_at_sequence_zero()
    {
        var topic = node.CreateTopic(Name());
        Send(topic, Batch(31, 0, 0, "a"));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Send(topic, Batch(31, 1, 5, "bumped")).Error);
        Assert.Equal(1, Send(topic, Batch(31, 1, 0, "b")).BaseOffset);
        Assert.Equal(["a", "b"], node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }

    [Fact]
    public void A_gap_in_the_sequence_and_an_older_epoch_are_refused_and_nothing_is_appended()
    {
        var topic = node.CreateTopic(Name());
        Send(topic, Batch(9, 1, 0, "a"));
        var gap = Send(topic, Batch(9, 1, 5, "x"));
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, gap.Error);
        var zombie = Send(topic, Batch(9, 0, 1, "z"));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, zombie.Error);
        // A non-idempotent batch (producer id -1, as plain Kafka clients send) is never checked.
        Assert.Equal(1, Send(topic, NodeFixture.Batch("plain")).BaseOffset);
        Assert.Equal(2, Send(topic, Batch(9, 1, 1, "b")).BaseOffset);
        Assert.Equal(["a", "plain", "b"], node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }
}

/// <summary>The pure bookkeeping behind idempotence: windows, wrap-around, epochs, expiry, snapshot round trip.</summary>
public sealed class ProducerStateTableSpecs
{
    [Fact]
    public void Only_the_last_five_batches_of_a_producer_are_recognised_as_duplicates()
    {
        var table = new ProducerStateTable();
        for (var i = 0; i < 7; i++) table.Record(1, 0, i * 10, 10, i * 100, 0);
        Assert.Equal(SequenceVerdict.Duplicate, table.Check(1, 0, 20, 10, out var offset));
        Assert.Equal(200, offset);
        // The oldest two fell out of the window; a retry that old is seen as a gap, never as new data.
        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(1, 0, 10, 10, out _));
        Assert.Equal(SequenceVerdict.Append, table.Check(1, 0, 70, 1, out _));
        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(1, 0, 71, 1, out _));
    }

    [Fact]
    public void Recording_a_batch_twice_keeps_the_window_of_five()
    {
        var table = new ProducerStateTable();
        for (var i = 0; i < 5; i++) table.Record(1, 0, i, 1, i, 0);
        table.Record(1, 0, 4, 1, 4, 0); // the same batch from a snapshot and from the journal
        Assert.Equal(SequenceVerdict.Duplicate, table.Check(1, 0, 0, 1, out _));
    }

    [Fact]
    public void Sequences_wrap_from_int_max_to_zero()
    {
        var table = new ProducerStateTable();
        table.Record(1, 0, int.MaxValue - 1, 2, 0, 0);
        Assert.Equal(int.MaxValue, ProducerStateTable.LastSequence(int.MaxValue - 1, 2));
        Assert.Equal(1, ProducerStateTable.LastSequence(int.MaxValue, 3));
        Assert.Equal(SequenceVerdict.Append, table.Check(1, 0, 0, 5, out _));
    }

    [Fact]
    public void A_new_epoch_starts_afresh_at_zero_and_an_old_one_is_fenced()
    {
        var table = new ProducerStateTable();
        table.Record(1, 3, 0, 1, 0, 0);
        Assert.Equal(SequenceVerdict.Fenced, table.Check(1, 2, 1, 1, out _));
        Assert.Equal(SequenceVerdict.Append, table.Check(1, 4, 0, 1, out _));
        Assert.Equal(SequenceVerdict.OutOfOrder, table.Check(1, 4, 1, 1, out _)); // a new epoch starts at 0
    }

    [Fact]
    public void Quiet_producers_expire_and_the_state_round_trips_through_a_snapshot()
    {
        var table = new ProducerStateTable();
        table.Record(1, 0, 0, 1, 0, timestamp: 1_000);
        table.Record(2, 0, 0, 1, 1, timestamp: 50_000);
        var copy = new ProducerStateTable();
        copy.Restore(table.Snapshot());
        Assert.Equal(SequenceVerdict.Duplicate, copy.Check(2, 0, 0, 1, out var offset));
        Assert.Equal(1, offset);
        Assert.Equal(1, copy.Expire(nowMs: 60_000, maxIdleMs: 30_000));
        Assert.Equal(1, copy.Count);
        Assert.Equal(SequenceVerdict.Append, copy.Check(1, 0, 0, 1, out _)); // forgotten: taken as new
    }

    [Fact]
    public void A_producer_the_partition_does_not_know_must_start_at_sequence_zero()
    {
        // Its first batch may have been refused at the edge or be in a retry: taking a later one first would open
        // a gap the earlier batch could never fill. UNKNOWN_PRODUCER_ID makes the client start afresh (KIP-360).
        var table = new ProducerStateTable();
        Assert.Equal(SequenceVerdict.Unknown, table.Check(7, 0, 5, 1, out _));
        Assert.Equal(SequenceVerdict.Append, table.Check(7, 0, 0, 1, out _));
        table.Record(1, 0, 0, 3, 0, timestamp: 1_000);
        table.Expire(nowMs: 60_000, maxIdleMs: 30_000);
        Assert.Equal(SequenceVerdict.Unknown, table.Check(1, 0, 3, 1, out _)); // forgotten, and continuing
    }
}
