using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// The read path's mechanism (issue #16, item 5), without timing: a Fetch answers with the stored RecordBatch bytes
/// exactly as the producer sent them (only the broker-assigned base offset written in; CRC, compression, headers
/// untouched), whether they come from the tail cache, from the journal, or from the journal after a restart. A node
/// that decoded and re-encoded batches on the way out (a different compression, record layout or CRC) fails it.
/// Real node, real SQLite journal, the Kafka listener over TCP.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class StoredBatchBytesSpecs
{
    // Each partition caches nothing (no batch is 1 byte), so every fetch of the second topic is a journal read.
    private const string NoTail = "platform.tail-cache.max-bytes-per-partition = 1";

    [Fact]
    public async Task A_fetch_returns_the_produced_batches_byte_for_byte_from_the_tail_the_journal_and_after_a_restart()
    {
        var dataDir = TestNode.NewDataDir();
        var expected = new List<byte[]>();
        var node = await TestNode.StartAsync(dataDir);
        try
        {
            await CreateTopicAsync(node.KafkaEndpoint, "stored-bytes");
            foreach (var compression in new[] { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.None })
            {
                var sent = KafkaRequests.Batch(Enumerable.Range(0, 50).Select(i => $"{compression}-{i}-" + new string('x', i)), compression);
                var baseOffset = await ProduceAsync(node.KafkaEndpoint, "stored-bytes", sent);
                RecordBatch.SetBaseOffset(sent, baseOffset);
                expected.Add(sent);
            }
            Assert.Equal(Concat(expected), await FetchBytesAsync(node.KafkaEndpoint, "stored-bytes"));
        }
        finally
        {
            await node.StopAsync();
        }

        // Restarted with no tail cache: the same bytes, now read from the journal, through a mapping of the database
        // file (platform.storage.sqlite.read-mmap-size) that is gone once the read is: what a read touched leaves the RSS.
        node = await TestNode.StartAsync(dataDir, NoTail);
        try
        {
            Assert.Equal(Concat(expected), await FetchBytesAsync(node.KafkaEndpoint, "stored-bytes"));
            var database = Path.Combine(dataDir, "platform.db");
            Assert.DoesNotContain(File.ReadLines("/proc/self/maps"), line => line.EndsWith(" " + database, StringComparison.Ordinal));
        }
        finally
        {
            await node.StopAsync();
        }
    }

    [Fact]
    public async Task A_journal_read_starting_inside_a_batch_returns_that_whole_batch_and_stops_at_the_partition_cap()
    {
        var node = await TestNode.StartAsync(extraHocon: NoTail);
        try
        {
            await CreateTopicAsync(node.KafkaEndpoint, "journal-range");
            var expected = new List<byte[]>();
            for (var b = 0; b < 6; b++)
            {
                var sent = KafkaRequests.Batch(Enumerable.Range(0, 10).Select(i => $"b{b}-r{i}-" + new string('y', 1000)));
                var baseOffset = await ProduceAsync(node.KafkaEndpoint, "journal-range", sent);
                RecordBatch.SetBaseOffset(sent, baseOffset);
                expected.Add(sent);
            }
            // Offset 15 lies inside the second batch: it comes whole (the client skips offsets below its position),
            // and a cap of two batches' size returns exactly two.
            var capped = await FetchBytesAsync(node.KafkaEndpoint, "journal-range", offset: 15, maxBytes: expected[1].Length + expected[2].Length);
            Assert.Equal(Concat(expected.Skip(1).Take(2)), capped);
            // A cap below one batch still returns one, so a consumer always progresses.
            Assert.Equal(expected[5], await FetchBytesAsync(node.KafkaEndpoint, "journal-range", offset: 50, maxBytes: 1, once: true));
        }
        finally
        {
            await node.StopAsync();
        }
    }

    private static async Task CreateTopicAsync(string bootstrap, string topic)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        var response = await connection.RoundTripAsync(ApiKey.CreateTopics, 4, new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }],
            timeoutMs = 10_000,
        }, CreateTopicsResponse.Read);
        Assert.Equal(ErrorCode.None, (ErrorCode)response.Topics.Single().ErrorCode);
    }

    private static async Task<long> ProduceAsync(string bootstrap, string topic, byte[] batch)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        // The request carries a copy: what the node does to its own buffer must not change the expectation.
        // Until the new partition is up, a produce is refused (and not stored), so it is sent again.
        var partition = await Eventually.ValueAsync(async () =>
        {
            var r = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, batch.ToArray()), ProduceResponse.Read);
            return r.Responses.Single().PartitionResponses.Single();
        }, p => (ErrorCode)p.ErrorCode == ErrorCode.None, $"a produce to {topic} is accepted");
        return partition.BaseOffset;
    }

    /// <summary>The records bytes of Fetch v12 from <paramref name="offset"/> to the high watermark, concatenated as the node sent them.</summary>
    private static async Task<byte[]> FetchBytesAsync(string bootstrap, string topic, long offset = 0, int maxBytes = 8 * 1024 * 1024, bool once = false)
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(bootstrap);
        var bytes = new List<byte>();
        while (true)
        {
            var request = KafkaRequests.Fetch(topic, 0, offset);
            request.Topics[0].Partitions[0].PartitionMaxBytes = maxBytes;
            var response = await connection.RoundTripAsync(ApiKey.Fetch, 12, request, FetchResponse.Read);
            var data = response.Responses.Single().Partitions.Single();
            Assert.Equal(ErrorCode.None, (ErrorCode)data.ErrorCode);
            var records = data.Records?.ToArray() ?? [];
            bytes.AddRange(records);
            if (once || maxBytes < 8 * 1024 * 1024) return [.. bytes];
            var ranges = new List<(int Start, int Length)>();
            RecordBatch.Split(records, ranges);
            Assert.NotEmpty(ranges);
            offset = NextOffset(records.AsSpan(ranges[^1].Start, ranges[^1].Length));
            if (offset >= data.HighWatermark) return [.. bytes];
        }
    }

    private static long NextOffset(ReadOnlySpan<byte> batch) => RecordBatch.BaseOffset(batch) + RecordBatch.LastOffsetDelta(batch) + 1;

    private static byte[] Concat(IEnumerable<byte[]> batches) => batches.SelectMany(b => b).ToArray();
}
