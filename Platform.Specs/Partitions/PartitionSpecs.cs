using Akka.Actor;
using Platform.Actors;
using Platform.Actors.Log;
using Platform.Protocol.Records;
using Platform.Actors.Partitions;
using Platform.Specs.Support;

namespace Platform.Specs.Partitions;

/// <summary>The partition actor's protocol, through a real node's gateway, shard region and SQLite journal.</summary>
public sealed class PartitionSpecs(NodeFixture node) : IClassFixture<NodeFixture>
{
    private static string Name() => $"t-{Guid.NewGuid():N}"[..12];

    [Fact]
    public void Batches_are_acknowledged_after_persist_with_consecutive_base_offsets()
    {
        var topic = node.CreateTopic(Name());
        Assert.Equal(0, node.Produce(topic, 0, "a", "b", "c").BaseOffset);
        Assert.Equal(3, node.Produce(topic, 0, "d").BaseOffset);
        Assert.Equal(4, node.Produce(topic, 0, "e", "f").BaseOffset);
        var records = node.ReadAll(topic, 0);
        Assert.Equal(["a", "b", "c", "d", "e", "f"], records.Select(NodeFixture.Text));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)i), records.Select(r => r.Offset));
    }

    [Fact]
    public void Concurrent_producers_keep_their_order_and_offsets_stay_dense()
    {
        var topic = node.CreateTopic(Name());
        var probes = Enumerable.Range(0, 4).Select(_ => node.Probe()).ToList();
        for (var n = 0; n < 50; n++)
            for (var p = 0; p < probes.Count; p++)
                node.Node.Gateway.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch($"{p}:{n}"), n), probes[p].Ref);
        foreach (var probe in probes)
        {
            var acks = Enumerable.Range(0, 50).Select(_ => probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(20))).ToList();
            Assert.All(acks, a => Assert.Equal(ErrorCode.None, a.Error));
            Assert.Equal(acks.Select(a => a.BaseOffset).Order(), acks.Select(a => a.BaseOffset)); // acknowledged in order
        }
        var records = node.ReadAll(topic, 0);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), records.Select(r => r.Offset));
        foreach (var group in records.Select(NodeFixture.Text).GroupBy(v => v.Split(':')[0]))
            Assert.Equal(Enumerable.Range(0, 50), group.Select(v => int.Parse(v.Split(':')[1])));
    }

    [Fact]
    public async Task A_produce_reaching_a_partition_after_its_hand_off_stop_is_answered_NotLeaderOrFollower_instead_of_dropped()
    {
        var topic = node.CreateTopic(Name());
        node.Produce(topic, 0, "a");
        var entity = await node.Node.System.ActorSelection(
            $"/system/sharding/{PartitionEntity.TypeName}/*/{PartitionEntity.EntityId(topic.TopicId, 0)}").ResolveOne(TimeSpan.FromSeconds(5));
        var probe = node.Probe();
        // Sharding's hand-off (a graceful leave, a rebalance) followed by a request already on its way.
        entity.Tell(StopPartition.Instance, probe.Ref);
        entity.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch("b"), 1), probe.Ref);
        var result = probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(5));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, result.Error);
        // The retry reaches the next incarnation, which continues the offsets.
        Assert.Equal(1, node.Produce(topic, 0, "b").BaseOffset);
    }

    [Fact]
    public async Task A_produce_sent_to_a_partition_that_has_stopped_is_answered_NotLeaderOrFollower_instead_of_lost()
    {
        var topic = node.CreateTopic(Name());
        node.Produce(topic, 0, "a");
        var entity = await node.Node.System.ActorSelection(
            $"/system/sharding/{PartitionEntity.TypeName}/*/{PartitionEntity.EntityId(topic.TopicId, 0)}").ResolveOne(TimeSpan.FromSeconds(5));
        var probe = node.Probe();
        probe.Watch(entity);
        entity.Tell(StopPartition.Instance, probe.Ref);
        probe.ExpectTerminated(entity, TimeSpan.FromSeconds(5));
        // A request forwarded to the incarnation that has just stopped becomes a dead letter on its node.
        entity.Tell(new Produce(topic.TopicId, 0, NodeFixture.Batch("b"), 7), probe.Ref);
        var result = probe.FishForMessage<ProduceResult>(r => r.CorrelationId == 7, TimeSpan.FromSeconds(5));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, result.Error);
        Assert.Equal(1, node.Produce(topic, 0, "b").BaseOffset);
    }

    [Fact]
    public void A_produce_sharding_drops_at_a_hand_off_is_answered_NotLeaderOrFollower()
    {
        var topic = node.CreateTopic(Name());
        var probe = node.Probe();
        // What a shard region does with the requests it buffered for a shard between BeginHandOff and HandOff
        // (Akka's MessageBuffer.Drop "to avoid re-ordering"): each goes to dead letters as Dropped, with its sender.
        node.Node.System.DeadLetters.Tell(new Akka.Event.Dropped(new Produce(topic.TopicId, 0, NodeFixture.Batch("a"), 8),
            "Avoiding reordering of buffered messages at shard handoff", probe.Ref, ActorRefs.NoSender));
        var result = probe.ExpectMsg<ProduceResult>(TimeSpan.FromSeconds(5));
        Assert.Equal((ErrorCode.NotLeaderOrFollower, 8L), (result.Error, result.CorrelationId));
        Assert.Equal(0, node.Produce(topic, 0, "a").BaseOffset); // it was never written: the retry is the first
    }

    [Fact]
    public void Fetch_at_log_end_waits_until_a_record_arrives()
    {
        var topic = node.CreateTopic(Name());
        var fetcher = node.Probe();
        node.Node.Gateway.Tell(new Fetch(topic.TopicId, 0, 0, 1 << 20, 10_000, 7), fetcher.Ref);
        fetcher.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        node.Produce(topic, 0, "late");
        var result = fetcher.ExpectMsg<FetchResult>(TimeSpan.FromSeconds(3));
        Assert.Equal(7, result.CorrelationId);
        Assert.Equal("late", NodeFixture.Text(RecordBatch.Decode(Assert.Single(result.Batches)).Single()));
    }

    [Fact]
    public void Fetch_at_log_end_answers_empty_when_max_wait_passes()
    {
        var topic = node.CreateTopic(Name());
        node.Produce(topic, 0, "x");
        var fetcher = node.Probe();
        node.Node.Gateway.Tell(new Fetch(topic.TopicId, 0, 1, 1 << 20, 300, 1), fetcher.Ref);
        fetcher.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        var result = fetcher.ExpectMsg<FetchResult>(TimeSpan.FromSeconds(3));
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Empty(result.Batches);
        Assert.Equal(1, result.HighWatermark);
    }

    [Fact]
    public void Fetches_beyond_max_parked_fetches_are_answered_empty_at_once_and_the_parked_ones_get_the_next_record()
    {
        var topic = node.CreateTopic(Name());
        var parked = Enumerable.Range(0, NodeFixture.MaxParkedFetches).Select(_ => node.Probe()).ToList();
        for (var i = 0; i < parked.Count; i++) node.Node.Gateway.Tell(new Fetch(topic.TopicId, 0, 0, 1 << 20, 20_000, i), parked[i].Ref);
        var beyond = node.Probe();
        node.Node.Gateway.Tell(new Fetch(topic.TopicId, 0, 0, 1 << 20, 20_000, 99), beyond.Ref);
        // Answered long before its 20 s wait, empty, without an error: the client simply fetches again.
        var early = beyond.ExpectMsg<FetchResult>(TimeSpan.FromSeconds(3));
        Assert.Equal((99L, ErrorCode.None, 0), (early.CorrelationId, early.Error, early.Batches.Count));
        foreach (var probe in parked) probe.ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        node.Produce(topic, 0, "late");
        foreach (var probe in parked)
            Assert.Equal("late", NodeFixture.Text(RecordBatch.Decode(Assert.Single(probe.ExpectMsg<FetchResult>(TimeSpan.FromSeconds(5)).Batches)).Single()));
    }

    [Fact]
    public void Journal_reads_beyond_max_journal_readers_wait_in_line_and_beyond_the_line_are_answered_empty()
    {
        var topic = node.CreateTopic(Name());
        var values = Enumerable.Range(0, 60).Select(i => $"record-{i:D4}-" + new string('x', 100)).ToList();
        foreach (var chunk in values.Chunk(3)) node.Produce(topic, 0, chunk);
        // Offset 0 is only in the journal (the tail holds 4 KiB): ten times more reads asked for than may run.
        var fetchers = Enumerable.Range(0, NodeFixture.MaxJournalReaders * 10).Select(_ => node.Probe()).ToList();
        for (var i = 0; i < fetchers.Count; i++) node.Node.Gateway.Tell(new Fetch(topic.TopicId, 0, 0, 1024, 0, i), fetchers[i].Ref);
        var served = 0;
        for (var i = 0; i < fetchers.Count; i++)
        {
            var result = fetchers[i].ExpectMsg<FetchResult>(TimeSpan.FromSeconds(20));
            Assert.Equal((i, ErrorCode.None, 60L), (result.CorrelationId, result.Error, result.HighWatermark));
            if (result.Batches.Count == 0) continue; // beyond the line: empty, and the client fetches again
            Assert.Equal(values[0], NodeFixture.Text(RecordBatch.Decode(result.Batches[0]).First()));
            served++;
        }
        // Those running and those waiting in line (as many as may park) are all served.
        Assert.InRange(served, NodeFixture.MaxJournalReaders + NodeFixture.MaxParkedFetches, fetchers.Count);
        Assert.Equal(values, node.ReadAll(topic, 0, from: 0, maxBytes: 1024).Select(NodeFixture.Text));
    }

    [Fact]
    public void Old_offsets_beyond_the_tail_are_read_from_the_journal_in_small_steps()
    {
        var topic = node.CreateTopic(Name());
        var values = Enumerable.Range(0, 300).Select(i => $"record-{i:D4}-" + new string('x', 100)).ToList();
        foreach (var chunk in values.Chunk(3)) node.Produce(topic, 0, chunk);
        // The tail holds 4 KiB, so offset 0 is only in the journal; 1 KiB fetches cross many segments.
        var records = node.ReadAll(topic, 0, from: 0, maxBytes: 1024);
        Assert.Equal(values, records.Select(NodeFixture.Text));
        Assert.Equal(values.Skip(137), node.ReadAll(topic, 0, from: 137).Select(NodeFixture.Text));
    }

    [Fact]
    public void Retention_by_size_moves_the_log_start_and_older_offsets_are_out_of_range()
    {
        var topic = node.CreateTopic(Name(), 1, new() { ["retention.bytes"] = "2000" });
        for (var i = 0; i < 40; i++) node.Produce(topic, 0, $"r{i}-" + new string('y', 150));
        // Whole segments (about 512 bytes here) go, while the rest stays at least retention.bytes. A pass (every
        // 200 ms here) may take one segment and the next another: the checks hold together once it has settled.
        node.Kit.AwaitAssert(() =>
        {
            var status = node.Status(topic, 0);
            Assert.InRange(status.SizeBytes, 2000, 2000 + 1024);
            Assert.True(status.LogStartOffset > 0);
            Assert.Equal(40, status.HighWatermark);
            var below = node.Fetch(topic, 0, 0);
            Assert.Equal(ErrorCode.OffsetOutOfRange, below.Error);
            Assert.Equal(status.LogStartOffset, below.LogStartOffset);
            var kept = node.ReadAll(topic, 0, status.LogStartOffset);
            Assert.Equal(Enumerable.Range((int)status.LogStartOffset, 40 - (int)status.LogStartOffset).Select(i => $"r{i}-" + new string('y', 150)),
                kept.Select(NodeFixture.Text));
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Retention_by_time_deletes_expired_records_and_appends_continue_after_them()
    {
        var topic = node.CreateTopic(Name(), 1, new() { ["retention.ms"] = "1" });
        for (var i = 0; i < 5; i++) node.Produce(topic, 0, $"old{i}");
        node.Kit.AwaitAssert(() => Assert.Equal(5, node.Status(topic, 0).LogStartOffset), TimeSpan.FromSeconds(10));
        Assert.Equal(ErrorCode.OffsetOutOfRange, node.Fetch(topic, 0, 2).Error);
        Assert.Equal(5, node.Produce(topic, 0, "new").BaseOffset);
    }

    [Fact]
    public void A_restarted_partition_recovers_offsets_and_records_from_snapshot_and_journal()
    {
        var topic = node.CreateTopic(Name());
        for (var i = 0; i < 25; i++) node.Produce(topic, 0, $"v{i}"); // snapshots at 10 and 20, then 5 events
        var probe = node.Probe();
        node.Node.Gateway.Tell(new RestartPartition(topic.TopicId, 0), probe.Ref);
        probe.ExpectMsg<PartitionStatus>();
        var status = node.Status(topic, 0);
        Assert.Equal(25, status.HighWatermark);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"v{i}"), node.ReadAll(topic, 0).Select(NodeFixture.Text));
        Assert.Equal(25, node.Produce(topic, 0, "after").BaseOffset);
    }

    [Fact]
    public void A_batch_over_max_message_bytes_is_refused_with_MessageTooLarge()
    {
        var topic = node.CreateTopic(Name(), 1, new() { ["max.message.bytes"] = "200" });
        var result = node.Produce(topic, 0, new string('z', 300));
        Assert.Equal(ErrorCode.MessageTooLarge, result.Error);
        Assert.Equal(0, node.Produce(topic, 0, "small").BaseOffset);
    }

    [Fact]
    public void Batches_in_every_kafka_codec_are_stored_and_read_back_and_other_codec_ids_are_refused()
    {
        var topic = node.CreateTopic(Name());
        var probe = node.Probe();
        var codecs = new[] { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd };
        foreach (var codec in codecs)
        {
            var builder = new RecordBatchBuilder(codec);
            // Timestamps of now: records stamped in 1970 are past any retention, and a retention check could take them.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            builder.Add(now, null, System.Text.Encoding.UTF8.GetBytes($"{codec}-1"));
            builder.Add(now + 1, null, System.Text.Encoding.UTF8.GetBytes($"{codec}-2"));
            node.Node.Gateway.Tell(new Produce(topic.TopicId, 0, builder.Build(), 1), probe.Ref);
            Assert.Equal(ErrorCode.None, probe.ExpectMsg<ProduceResult>().Error);
        }

        var unknown = NodeFixture.Batch("seven");
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(unknown.AsSpan(21), 7);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(unknown.AsSpan(17), Crc32C.Compute(unknown.AsSpan(21)));
        node.Node.Gateway.Tell(new Produce(topic.TopicId, 0, unknown, 1), probe.Ref);
        Assert.Equal(ErrorCode.UnsupportedCompressionType, probe.ExpectMsg<ProduceResult>().Error);

        Assert.Equal(codecs.SelectMany(c => new[] { $"{c}-1", $"{c}-2" }), node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }

    [Fact]
    public void A_batch_with_a_wrong_crc_is_refused_with_CorruptMessage_and_nothing_is_stored()
    {
        var topic = node.CreateTopic(Name());
        node.Produce(topic, 0, "good");
        var batch = NodeFixture.Batch("evil");
        batch[^1] ^= 0xFF;
        var probe = node.Probe();
        node.Node.Gateway.Tell(new Produce(topic.TopicId, 0, batch, 1), probe.Ref);
        Assert.Equal(ErrorCode.CorruptMessage, probe.ExpectMsg<ProduceResult>().Error);
        Assert.Equal(["good"], node.ReadAll(topic, 0).Select(NodeFixture.Text));
    }

    [Fact]
    public void Garbage_instead_of_a_batch_is_refused_with_CorruptMessage()
    {
        var topic = node.CreateTopic(Name());
        var probe = node.Probe();
        node.Node.Gateway.Tell(new Produce(topic.TopicId, 0, [1, 2, 3], 1), probe.Ref);
        Assert.Equal(ErrorCode.CorruptMessage, probe.ExpectMsg<ProduceResult>().Error);
        Assert.Equal(0, node.Status(topic, 0).HighWatermark);
    }

    [Fact]
    public void Fetching_past_the_high_watermark_is_OffsetOutOfRange()
    {
        var topic = node.CreateTopic(Name());
        node.Produce(topic, 0, "a");
        Assert.Equal(ErrorCode.OffsetOutOfRange, node.Fetch(topic, 0, 5).Error);
        Assert.Equal(ErrorCode.OffsetOutOfRange, node.Fetch(topic, 0, -1).Error);
    }

    [Fact]
    public void Unknown_topic_ids_and_partitions_out_of_range_are_UnknownTopicOrPartition()
    {
        var topic = node.CreateTopic(Name(), 2);
        var probe = node.Probe();
        node.Node.Gateway.Tell(new Produce(Guid.NewGuid(), 0, NodeFixture.Batch("a"), 1), probe.Ref);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, probe.ExpectMsg<ProduceResult>().Error);
        node.Node.Gateway.Tell(new Fetch(topic.TopicId, 2, 0, 100, 0, 1), probe.Ref);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, probe.ExpectMsg<FetchResult>().Error);
        node.Node.Gateway.Tell(new Fetch(topic.TopicId, -1, 0, 100, 0, 1), probe.Ref);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, probe.ExpectMsg<FetchResult>().Error);
    }
}
