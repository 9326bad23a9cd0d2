using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// Confluent.Kafka (librdkafka), unmodified, against the Kafka listener: every compression codec, exact consume
/// back, positioning (assign, seek, beginning, end, by timestamp, watermarks), long polls, record size limits and
/// unknown topics.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class ConfluentKafkaClientSpecs(KafkaNodeFixture fixture) : IClassFixture<KafkaNodeFixture>
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private async Task<string> NewTopicAsync(string name, int partitions)
    {
        var topic = name + "-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, partitions);
        return topic;
    }

    private IConsumer<byte[], byte[]> AssignedConsumer(params TopicPartitionOffset[] positions)
    {
        var consumer = new ConsumerBuilder<byte[], byte[]>(fixture.ConsumerConfig()).Build();
        consumer.Assign(positions);
        return consumer;
    }

    /// <summary>Consumes until <paramref name="count"/> records arrived or the deadline passes.</summary>
    private static async Task<List<ConsumeResult<byte[], byte[]>>> ConsumeExactlyAsync(IConsumer<byte[], byte[]> consumer, int count,
        TimeSpan? within = null)
    {
        var results = new List<ConsumeResult<byte[], byte[]>>();
        await Eventually.TrueAsync(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result) results.Add(result);
            return results.Count >= count;
        }, $"{count} records (consumed {results.Count})", within, TimeSpan.Zero);
        return results;
    }

    private static Message<byte[], byte[]> Record(string key, string value, long timestamp, params (string Key, byte[]? Value)[] headers)
    {
        var h = new Headers();
        foreach (var (k, v) in headers) h.Add(k, v);
        return new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(key),
            Value = Encoding.UTF8.GetBytes(value),
            Headers = h,
            Timestamp = new Timestamp(timestamp, TimestampType.CreateTime),
        };
    }

    private async Task ProduceAsync(string topic, IEnumerable<(int Partition, Message<byte[], byte[]> Message)> records, CompressionType compression = CompressionType.None)
    {
        var config = fixture.ProducerConfig();
        config.CompressionType = compression;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var deliveries = records.Select(r => producer.ProduceAsync(new TopicPartition(topic, r.Partition), r.Message)).ToList();
        foreach (var delivery in await Task.WhenAll(deliveries)) Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
    }

    [Theory(Timeout = 90_000)]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Records_produced_with_each_compression_codec_are_consumed_back_exactly(CompressionType compression)
    {
        var topic = await NewTopicAsync("codec-" + compression.ToString().ToLowerInvariant(), 3);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 100_000;
        var sent = Enumerable.Range(0, 600).Select(i => (Partition: i % 3, Message: Record(
            "key-" + (i % 13),
            $"value-{i}-" + new string((char)('a' + i % 26), i % 300),
            start + i * 7,
            ("n", Encoding.UTF8.GetBytes(i.ToString())), ("empty", []), ("null", null), ("n", Encoding.UTF8.GetBytes("again")))))
            .ToList();
        await ProduceAsync(topic, sent, compression);

        using var consumer = AssignedConsumer([.. Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning))]);
        var received = await ConsumeExactlyAsync(consumer, sent.Count);

        foreach (var partition in Enumerable.Range(0, 3))
        {
            var expected = sent.Where(s => s.Partition == partition).Select(s => s.Message).ToList();
            var got = received.Where(r => r.Partition.Value == partition).OrderBy(r => r.Offset.Value).ToList();
            Assert.Equal(Enumerable.Range(0, expected.Count).Select(i => (long)i), got.Select(r => r.Offset.Value));
            for (var i = 0; i < expected.Count; i++)
            {
                var (want, have) = (expected[i], got[i].Message);
                Assert.Equal(want.Key, have.Key);
                Assert.Equal(want.Value, have.Value);
                Assert.Equal(want.Timestamp.UnixTimestampMs, have.Timestamp.UnixTimestampMs);
                Assert.Equal(TimestampType.CreateTime, have.Timestamp.Type);
                Assert.Equal(want.Headers.Select(h => (h.Key, h.GetValueBytes())), have.Headers.Select(h => (h.Key, h.GetValueBytes())));
            }
        }
        // Consumed in offset order within each partition, as fetched.
        foreach (var byPartition in received.GroupBy(r => r.Partition.Value))
            Assert.Equal(byPartition.Select(r => r.Offset.Value).Order(), byPartition.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task An_idempotent_producer_writes_every_record_exactly_once_and_in_order()
    {
        var topic = await NewTopicAsync("idempotent", 2);
        var config = fixture.ProducerConfig();
        config.EnableIdempotence = true;
        config.MaxInFlight = 5;
        using (var producer = new ProducerBuilder<byte[], byte[]>(config).Build())
        {
            var deliveries = Enumerable.Range(0, 1000)
                .Select(i => producer.ProduceAsync(new TopicPartition(topic, i % 2), Record("k", "v" + i, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())))
                .ToList();
            await Task.WhenAll(deliveries);
        }
        using var consumer = AssignedConsumer(new TopicPartitionOffset(topic, 0, Offset.Beginning), new TopicPartitionOffset(topic, 1, Offset.Beginning));
        var received = await ConsumeExactlyAsync(consumer, 1000);
        foreach (var byPartition in received.GroupBy(r => r.Partition.Value))
        {
            var numbers = byPartition.OrderBy(r => r.Offset.Value).Select(r => int.Parse(Encoding.UTF8.GetString(r.Message.Value)[1..])).ToList();
            Assert.Equal(numbers.Order(), numbers);
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_consumer_is_positioned_by_assign_offset_seek_beginning_and_end()
    {
        var topic = await NewTopicAsync("positions", 1);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await ProduceAsync(topic, Enumerable.Range(0, 100).Select(i => (0, Record("k", "v" + i, now))));
        var tp = new TopicPartition(topic, 0);

        using (var consumer = AssignedConsumer(new TopicPartitionOffset(tp, 42)))
        {
            Assert.Equal("v42", Encoding.UTF8.GetString((await ConsumeExactlyAsync(consumer, 1))[0].Message.Value));
            consumer.Seek(new TopicPartitionOffset(tp, 7));
            Assert.Equal(["v7", "v8"], (await ConsumeExactlyAsync(consumer, 2)).Select(r => Encoding.UTF8.GetString(r.Message.Value)));
            consumer.Seek(new TopicPartitionOffset(tp, 99));
            var last = (await ConsumeExactlyAsync(consumer, 1))[0];
            Assert.Equal(99, last.Offset.Value);
        }
        using (var consumer = AssignedConsumer(new TopicPartitionOffset(tp, Offset.Beginning)))
        {
            Assert.Equal(0, (await ConsumeExactlyAsync(consumer, 1))[0].Offset.Value);
        }
        using (var consumer = AssignedConsumer(new TopicPartitionOffset(tp, Offset.End)))
        {
            // Nothing before End is delivered; the next record produced is.
            Assert.Null(consumer.Consume(TimeSpan.FromSeconds(1)));
            await ProduceAsync(topic, [(0, Record("k", "after-end", now))]);
            var next = (await ConsumeExactlyAsync(consumer, 1))[0];
            Assert.Equal(100, next.Offset.Value);
            Assert.Equal("after-end", Encoding.UTF8.GetString(next.Message.Value));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task OffsetsForTimes_and_QueryWatermarkOffsets_answer_from_ListOffsets()
    {
        var topic = await NewTopicAsync("times", 2);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_600_000;
        // Partition 0: ten records one second apart; partition 1 stays empty.
        await ProduceAsync(topic, Enumerable.Range(0, 10).Select(i => (0, Record("k", "v" + i, start + i * 1000))));

        using var consumer = AssignedConsumer(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), RequestTimeout);
        Assert.Equal((0L, 10L), (watermarks.Low.Value, watermarks.High.Value));
        var empty = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 1), RequestTimeout);
        Assert.Equal((0L, 0L), (empty.Low.Value, empty.High.Value));

        // The first record whose timestamp is at or after the one asked for; none (End) when every one is older.
        long OffsetForTime(long timestamp) => consumer.OffsetsForTimes(
            [new TopicPartitionTimestamp(topic, 0, new Timestamp(timestamp, TimestampType.CreateTime))], RequestTimeout).Single().Offset.Value;
        Assert.Equal(6, OffsetForTime(start + 5500));
        Assert.Equal(5, OffsetForTime(start + 5000));
        Assert.Equal(0, OffsetForTime(start - 1));
        Assert.Equal(9, OffsetForTime(start + 9000));
        Assert.Equal(Offset.End.Value, OffsetForTime(start + 60_000));
        var both = consumer.OffsetsForTimes(
        [
            new TopicPartitionTimestamp(topic, 0, new Timestamp(start + 2500, TimestampType.CreateTime)),
            new TopicPartitionTimestamp(topic, 1, new Timestamp(start, TimestampType.CreateTime)),
        ], RequestTimeout);
        Assert.Equal([3L, Offset.End.Value], both.OrderBy(t => t.Partition.Value).Select(t => t.Offset.Value));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_consumer_waiting_at_the_log_end_gets_a_later_record_at_once_not_after_its_max_wait()
    {
        var topic = await NewTopicAsync("long-poll", 1);
        var config = fixture.ConsumerConfig();
        // librdkafka parks a fetch this long at the broker: only a long poll woken by the produce delivers quickly.
        config.FetchWaitMaxMs = 10_000;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.End));
        Assert.Null(consumer.Consume(TimeSpan.FromSeconds(1)));

        var consumed = Task.Run(async () => (await ConsumeExactlyAsync(consumer, 1, TimeSpan.FromSeconds(20)))[0]);
        var watch = Stopwatch.StartNew();
        await ProduceAsync(topic, [(0, Record("k", "late", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))]);
        var result = await consumed;
        Assert.Equal("late", Encoding.UTF8.GetString(result.Message.Value));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the record arrived after {watch.Elapsed}");
    }

    [Fact(Timeout = 90_000)]
    public async Task A_record_near_max_message_bytes_round_trips_and_one_beyond_it_is_refused_with_MessageTooLarge()
    {
        var topic = await NewTopicAsync("large", 1);
        var config = fixture.ProducerConfig();
        // Above the topic's max.message.bytes (1048588), so that the node, not librdkafka, has to refuse the big one.
        config.MessageMaxBytes = 4 * 1024 * 1024;
        config.BatchSize = 4 * 1024 * 1024;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var near = new byte[1_040_000];
        Random.Shared.NextBytes(near);
        var nearResult = await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<byte[], byte[]> { Key = [1], Value = near });
        Assert.Equal(0, nearResult.Offset.Value);

        var beyond = new byte[1_200_000];
        var error = await Assert.ThrowsAsync<ProduceException<byte[], byte[]>>(
            () => producer.ProduceAsync(new TopicPartition(topic, 0), new Message<byte[], byte[]> { Key = [2], Value = beyond }));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);

        // The node keeps serving: a small record goes in after it, and both are read back.
        var small = await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<byte[], byte[]> { Key = [3], Value = [42] });
        Assert.Equal(1, small.Offset.Value);
        using var consumer = AssignedConsumer(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var received = await ConsumeExactlyAsync(consumer, 2);
        Assert.Equal(near, received[0].Message.Value);
        Assert.Equal([42], received[1].Message.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_unknown_topic_is_reported_as_UnknownTopicOrPart()
    {
        const string topic = "no-such-topic-anywhere";
        using (var admin = new AdminClientBuilder(fixture.AdminConfig()).Build())
        {
            var metadata = admin.GetMetadata(topic, RequestTimeout);
            Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(metadata.Topics).Error.Code);
        }

        var config = fixture.ProducerConfig();
        config.MessageTimeoutMs = 5000;
        config.TopicMetadataPropagationMaxMs = 500;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        var error = await Assert.ThrowsAsync<ProduceException<byte[], byte[]>>(
            () => producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = [1], Value = [1] }));
        Assert.Contains(error.Error.Code, new[] { ErrorCode.UnknownTopicOrPart, ErrorCode.Local_UnknownTopic });
    }
}
