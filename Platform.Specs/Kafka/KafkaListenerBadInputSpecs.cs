using System.Text;
using System.Buffers.Binary;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Protocol.Wire;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// Bad input on raw TCP connections to the Kafka listener: whatever one connection sends, the node keeps serving
/// every other client, and the records it held before are still there, unchanged.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class KafkaListenerBadInputSpecs(LimitedKafkaNodeFixture fixture) : IClassFixture<LimitedKafkaNodeFixture>
{
    private const int SpecTimeout = 60_000;
    private static readonly TimeSpan CloseWithin = TimeSpan.FromSeconds(5);

    private string Bootstrap => fixture.Bootstrap;

    /// <summary>A fresh topic of one partition holding a few records, to check after the bad input.</summary>
    private async Task<(string Topic, IReadOnlyList<string> Values)> TopicWithRecordsAsync(string name, int partitions = 1)
    {
        var topic = name + "-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, partitions);
        var values = Enumerable.Range(0, 20).Select(i => $"{name}-{i}").ToList();
        await KafkaRequests.ProduceAsync(Bootstrap, topic, 0, values[..10]);
        await KafkaRequests.ProduceAsync(Bootstrap, topic, 0, values[10..]);
        return (topic, values);
    }

    private async Task AssertConnectionClosedAndNodeServesAsync(string name, byte[] bytes)
    {
        var (topic, values) = await TopicWithRecordsAsync(name);
        await using (var connection = await RawKafkaConnection.ConnectAsync(Bootstrap))
        {
            await connection.SendAsync(bytes);
            Assert.True(await connection.ClosedByNodeWithinAsync(CloseWithin), "the node should close a connection that sends " + name);
        }
        await KafkaRequests.AssertServesAsync(Bootstrap, topic, 0, values);
    }

    private static byte[] SizePrefix(int size)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, size);
        return bytes;
    }

    private static byte[] MetadataFrame(int correlationId = 1) =>
        RawKafkaConnection.Frame(ApiKey.Metadata, 9, correlationId, KafkaRequests.Metadata("some-topic"));

    [Fact(Timeout = SpecTimeout)]
    public Task A_frame_above_socket_request_max_bytes_closes_its_connection_only() =>
        AssertConnectionClosedAndNodeServesAsync("oversized-frame",
            [.. SizePrefix(LimitedKafkaNodeFixture.SocketRequestMaxBytes + 1), .. new byte[64 * 1024]]);

    [Fact(Timeout = SpecTimeout)]
    public Task A_negative_frame_size_closes_its_connection_only() =>
        AssertConnectionClosedAndNodeServesAsync("negative-size", [.. SizePrefix(-42), .. MetadataFrame()]);

    [Fact(Timeout = SpecTimeout)]
    public Task An_unknown_api_key_closes_its_connection_only()
    {
        var frame = MetadataFrame();
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), 1000);
        return AssertConnectionClosedAndNodeServesAsync("unknown-api-key", frame);
    }

    [Fact(Timeout = SpecTimeout)]
    public Task An_unsupported_version_of_Produce_closes_its_connection_as_Kafka_does() =>
        AssertConnectionClosedAndNodeServesAsync("produce-v11",
            RawKafkaConnection.Frame(ApiKey.Produce, 11, 7, KafkaRequests.Produce("some-topic", 0, KafkaRequests.Batch(["x"]))));

    [Fact(Timeout = SpecTimeout)]
    public Task A_truncated_body_closes_its_connection_only()
    {
        var frame = RawKafkaConnection.Frame(ApiKey.Produce, 9, 7, KafkaRequests.Produce("some-topic", 0, KafkaRequests.Batch(["x", "y"])));
        var truncated = frame[..^30];
        BinaryPrimitives.WriteInt32BigEndian(truncated, truncated.Length - 4);
        return AssertConnectionClosedAndNodeServesAsync("truncated-body", truncated);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task Garbage_after_a_valid_header_never_hurts_the_node()
    {
        var (topic, values) = await TopicWithRecordsAsync("garbage");
        var random = new Random(511);
        foreach (var key in new[] { ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.ApiVersions, ApiKey.FindCoordinator })
        {
            for (var round = 0; round < 5; round++)
            {
                var header = new RequestHeader { RequestApiKey = (short)key, RequestApiVersion = (short)(key == ApiKey.ApiVersions ? 3 : 4), CorrelationId = round, ClientId = "garbage" };
                var output = new System.Buffers.ArrayBufferWriter<byte>();
                header.Write(new KafkaWriter(output), ApiVersionsTable.RequestHeaderVersion(key, header.RequestApiVersion));
                var garbage = new byte[random.Next(1, 200)];
                random.NextBytes(garbage);
                byte[] body = [.. output.WrittenSpan, .. garbage];
                await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
                await connection.SendAsync((byte[])[.. SizePrefix(body.Length), .. body]);
                // Answered (garbage can happen to decode) or closed: either way within the deadline.
                await connection.ClosedByNodeWithinAsync(TimeSpan.FromMilliseconds(300));
            }
        }
        await KafkaRequests.AssertServesAsync(Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task ApiVersions_of_an_unknown_version_is_answered_in_v0_with_UNSUPPORTED_VERSION_and_the_ranges()
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var frame = RawKafkaConnection.Frame(ApiKey.ApiVersions, 3, 99, KafkaRequests.ApiVersions());
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), 99);
        await connection.SendAsync(frame);
        var (correlationId, response) = RawKafkaConnection.Decode(await connection.ReceiveFrameAsync(), 0, 0, ApiVersionsResponse.Read);

        Assert.Equal(99, correlationId);
        Assert.Equal(ErrorCode.UnsupportedVersion, (ErrorCode)response.ErrorCode);
        Assert.Equal(35, response.ErrorCode);
        var apiVersions = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)ApiKey.ApiVersions);
        Assert.Equal((0, 3), (apiVersions.MinVersion, apiVersions.MaxVersion));
        var produce = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)ApiKey.Produce);
        Assert.Equal((3, 9), (produce.MinVersion, produce.MaxVersion));

        // The client then retries with a version both know, on the same connection.
        var retried = await connection.RoundTripAsync(ApiKey.ApiVersions, 3, KafkaRequests.ApiVersions(), ApiVersionsResponse.Read);
        Assert.Equal(ErrorCode.None, (ErrorCode)retried.ErrorCode);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task A_connection_that_sends_half_a_frame_and_stalls_does_not_hold_up_anyone_else()
    {
        var (topic, values) = await TopicWithRecordsAsync("stall");
        var frame = RawKafkaConnection.Frame(ApiKey.Produce, 9, 1, KafkaRequests.Produce(topic, 0, KafkaRequests.Batch(["never"])));
        await using var stalled = await RawKafkaConnection.ConnectAsync(Bootstrap);
        // A client past its first request (a connection that never completes one is closed after handshake-timeout).
        await stalled.RoundTripAsync(ApiKey.ApiVersions, 3, KafkaRequests.ApiVersions(), ApiVersionsResponse.Read);
        await stalled.SendAsync(frame[..(frame.Length / 2)]);

        await KafkaRequests.AssertServesAsync(Bootstrap, topic, 0, values);
        var offset = await KafkaRequests.ProduceAsync(Bootstrap, topic, 0, ["after-stall"]);
        Assert.Equal(values.Count, offset);
        Assert.Equal([.. values, "after-stall"], await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
        // The stalled client is waited for (until connections.max.idle), not cut off and not answered.
        Assert.False(await stalled.ClosedByNodeWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task Connections_beyond_max_connections_are_closed_and_those_within_are_served()
    {
        await WaitForNoConnectionsAsync();
        var connections = new List<RawKafkaConnection>();
        try
        {
            for (var i = 0; i < LimitedKafkaNodeFixture.MaxConnections; i++)
            {
                var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
                connections.Add(connection);
                await connection.RoundTripAsync(ApiKey.ApiVersions, 3, KafkaRequests.ApiVersions(), ApiVersionsResponse.Read);
            }
            for (var i = 0; i < 5; i++)
            {
                await using var beyond = await RawKafkaConnection.ConnectAsync(Bootstrap);
                Assert.True(await beyond.ClosedByNodeWithinAsync(CloseWithin), $"connection {LimitedKafkaNodeFixture.MaxConnections + i + 1} should be closed");
            }
            // Those within the limit are still served.
            foreach (var connection in connections)
                await connection.RoundTripAsync(ApiKey.Metadata, 9, KafkaRequests.Metadata(), MetadataResponse.Read);
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
        // Once they are gone, new clients are served again.
        await WaitForNoConnectionsAsync();
        await using var again = await RawKafkaConnection.ConnectAsync(Bootstrap);
        await again.RoundTripAsync(ApiKey.Metadata, 9, KafkaRequests.Metadata(), MetadataResponse.Read);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task Clients_that_disconnect_during_long_polls_free_their_connections_at_once()
    {
        var (topic, values) = await TopicWithRecordsAsync("abandoned-polls", partitions: 2);
        await WaitForNoConnectionsAsync();
        // As many clients as max-connections park a fetch on the empty partition for up to 30 s, then go away.
        for (var i = 0; i < LimitedKafkaNodeFixture.MaxConnections; i++)
        {
            await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
            await connection.SendAsync(ApiKey.Fetch, 12, i, KafkaRequests.Fetch(topic, 1, 0, maxWaitMs: 30_000));
        }
        // Their slots are free long before the polls would have ended: new clients are served.
        await WaitForNoConnectionsAsync(TimeSpan.FromSeconds(5));
        await KafkaRequests.AssertServesAsync(Bootstrap, topic, 0, values);
    }

    private Task WaitForNoConnectionsAsync(TimeSpan? within = null) =>
        Eventually.ValueAsync(() => fixture.Node.Kafka.ConnectionCount, open => open == 0, "every Kafka connection closed",
            within ?? TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(50));

    [Fact(Timeout = SpecTimeout)]
    public async Task A_produce_with_a_corrupted_CRC_is_refused_with_CORRUPT_MESSAGE_and_stores_nothing()
    {
        var (topic, values) = await TopicWithRecordsAsync("crc");
        var batch = KafkaRequests.Batch(["corrupted", "batch"]);
        batch[^1] ^= 0x55;
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var response = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, batch), ProduceResponse.Read);

        Assert.Equal(ErrorCode.CorruptMessage, (ErrorCode)response.Responses.Single().PartitionResponses.Single().ErrorCode);
        Assert.Equal(values, await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
        // The connection is still usable: a good batch goes through on it.
        var good = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, KafkaRequests.Batch(["good"])), ProduceResponse.Read);
        Assert.Equal(values.Count, good.Responses.Single().PartitionResponses.Single().BaseOffset);
    }

    /// <summary>The attacks: valid framing and CRC, records that lie. Kafka's LogValidator error, nothing stored.</summary>
    [Theory(Timeout = SpecTimeout)]
    [InlineData("claims-int-max-records", ErrorCode.InvalidRecord)]
    [InlineData("junk-records", ErrorCode.InvalidRecord)]
    [InlineData("timestamp-long-max", ErrorCode.InvalidTimestamp)]
    [InlineData("control-batch", ErrorCode.InvalidRecord)]
    public async Task A_batch_whose_records_disagree_with_its_header_is_refused_and_stores_nothing(string attack, ErrorCode expected)
    {
        var (topic, values) = await TopicWithRecordsAsync(attack);
        var batch = attack == "timestamp-long-max" ? TimestampedBatch(long.MaxValue) : KafkaRequests.Batch(["a"]);
        switch (attack)
        {
            case "claims-int-max-records":
                BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(23), int.MaxValue - 1);
                BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(57), int.MaxValue);
                break;
            case "junk-records":
                new Random(3).NextBytes(batch.AsSpan(RecordBatch.HeaderSize));
                break;
            case "control-batch":
                BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(21), 0x20);
                break;
        }
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), Crc32C.Compute(batch.AsSpan(21)));
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var response = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, batch), ProduceResponse.Read);

        var partition = response.Responses.Single().PartitionResponses.Single();
        Assert.Equal(expected, (ErrorCode)partition.ErrorCode);
        Assert.False(string.IsNullOrEmpty(partition.ErrorMessage));
        // Nothing stored, the high watermark did not move, and the same connection still produces.
        Assert.Equal(values, await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
        var good = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, KafkaRequests.Batch(["good"])), ProduceResponse.Read);
        Assert.Equal(values.Count, good.Responses.Single().PartitionResponses.Single().BaseOffset);
        Assert.Equal([.. values, "good"], await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task An_idempotent_batch_with_a_producer_id_the_cluster_never_handed_out_is_UNKNOWN_PRODUCER_ID()
    {
        var (topic, values) = await TopicWithRecordsAsync("forged-pid");
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var init = await connection.RoundTripAsync(ApiKey.InitProducerId, 4, new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60_000 },
            InitProducerIdResponse.Read);
        Assert.Equal(ErrorCode.None, (ErrorCode)init.ErrorCode);

        async Task<ProduceResponse.PartitionProduceResponse> ProduceAsync(long producerId, string value)
        {
            var builder = new RecordBatchBuilder();
            builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes(value));
            var batch = builder.Build(producerId: producerId, producerEpoch: 0, baseSequence: 0);
            var response = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, batch), ProduceResponse.Read);
            return response.Responses.Single().PartitionResponses.Single();
        }

        // A third party picking an id ahead of the allocator (to fence or pre-empt a future producer) is refused.
        var forged = await ProduceAsync(init.ProducerId + 1_000_000, "forged");
        Assert.Equal(ErrorCode.UnknownProducerId, (ErrorCode)forged.ErrorCode);
        Assert.Equal(values, await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
        // The id InitProducerId handed out is accepted.
        var own = await ProduceAsync(init.ProducerId, "own");
        Assert.Equal(ErrorCode.None, (ErrorCode)own.ErrorCode);
        Assert.Equal([.. values, "own"], await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
    }

    private static byte[] TimestampedBatch(long timestamp)
    {
        var builder = new RecordBatchBuilder();
        builder.Add(timestamp, null, "late"u8.ToArray());
        return builder.Build();
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task A_produce_with_two_batches_for_one_partition_is_refused_with_INVALID_RECORD()
    {
        var (topic, values) = await TopicWithRecordsAsync("two-batches");
        byte[] records = [.. KafkaRequests.Batch(["first"]), .. KafkaRequests.Batch(["second"])];
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var response = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, records), ProduceResponse.Read);

        Assert.Equal(ErrorCode.InvalidRecord, (ErrorCode)response.Responses.Single().PartitionResponses.Single().ErrorCode);
        await KafkaRequests.AssertServesAsync(Bootstrap, topic, 0, values);
        Assert.Equal(values.Count, (await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0)).Count);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task A_pipelined_burst_of_50_requests_is_answered_in_request_order()
    {
        var (topic, values) = await TopicWithRecordsAsync("pipeline", partitions: 2);
        var requests = new List<(ApiKey Key, short Version, IKafkaMessage Body)>();
        for (var i = 0; i < 50; i++)
        {
            requests.Add((i % 6) switch
            {
                // A long poll on the empty partition answers after 300 ms: everything after it, ready long before, must wait.
                0 => (ApiKey.Fetch, (short)12, KafkaRequests.Fetch(topic, 1, 0, maxWaitMs: 300)),
                1 => (ApiKey.ApiVersions, (short)3, KafkaRequests.ApiVersions()),
                2 => (ApiKey.Metadata, (short)(i % 2 == 0 ? 1 : 9), KafkaRequests.Metadata(topic)),
                3 => (ApiKey.Produce, (short)9, KafkaRequests.Produce(topic, 0, KafkaRequests.Batch([$"burst-{i}"]), acks: 1)),
                4 => (ApiKey.ListOffsets, (short)7, KafkaRequests.ListOffsets(topic, 0, -1)),
                _ => (ApiKey.Fetch, (short)4, KafkaRequests.Fetch(topic, 0, 0)),
            });
        }
        byte[] burst = [.. requests.SelectMany((r, i) => RawKafkaConnection.Frame(r.Key, r.Version, 1000 + i, r.Body))];
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await connection.SendAsync(burst);

        for (var i = 0; i < requests.Count; i++)
        {
            var (key, version, _) = requests[i];
            var frame = await connection.ReceiveFrameAsync();
            var (correlationId, response) = RawKafkaConnection.Decode(frame, ApiVersionsTable.ResponseHeaderVersion(key, version), version,
                (ref KafkaReader reader, short v) => ApiVersionsTable.ReadResponse(key, ref reader, v));
            Assert.Equal(1000 + i, correlationId);
            if (response is ProduceResponse produce)
                Assert.Equal(ErrorCode.None, (ErrorCode)produce.Responses.Single().PartitionResponses.Single().ErrorCode);
            if (response is FetchResponse fetch)
                Assert.Equal(ErrorCode.None, (ErrorCode)fetch.Responses.Single().Partitions.Single().ErrorCode);
        }
        // The long polls did wait (the burst was not answered out of some cache), and one after another. Akka's
        // scheduler runs timers on its 10 ms tick, so a 300 ms long poll may be answered up to a tick early.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"answered in {watch.Elapsed}");
        await KafkaRequests.AssertServesAsync(Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task A_fetch_asking_for_int_MaxValue_bytes_gets_at_most_the_partition_cap_and_the_client_reads_on()
    {
        // Issue #12: Fetch.MaxBytes = int.MaxValue built a 20 MB reply that remoting dropped as oversized.
        var topic = "greedy-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, 1);
        var values = Enumerable.Range(0, 40).Select(i => $"{i:D3}-" + new string('g', 20_000)).ToList();
        foreach (var chunk in values.Chunk(4)) await KafkaRequests.ProduceAsync(Bootstrap, topic, 0, chunk);

        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var greedy = KafkaRequests.Fetch(topic, 0, 0);
        greedy.MaxBytes = int.MaxValue;
        greedy.Topics[0].Partitions[0].PartitionMaxBytes = int.MaxValue;
        var response = await connection.RoundTripAsync(ApiKey.Fetch, 12, greedy, FetchResponse.Read);
        var data = response.Responses.Single().Partitions.Single();
        Assert.Equal(ErrorCode.None, (ErrorCode)data.ErrorCode);
        var bytes = data.Records?.ToArray() ?? [];
        // The cap, and at most one batch beyond it (a fetch always gets at least one batch).
        Assert.InRange(bytes.Length, 1, LimitedKafkaNodeFixture.FetchPartitionMaxBytes + 4 * 21_000);
        Assert.Equal(40, data.HighWatermark);
        Assert.Equal(values, await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task Metadata_for_an_unknown_topic_answers_UNKNOWN_TOPIC_OR_PARTITION()
    {
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        var response = await connection.RoundTripAsync(ApiKey.Metadata, 9, KafkaRequests.Metadata("no-such-topic"), MetadataResponse.Read);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (ErrorCode)response.Topics.Single().ErrorCode);
    }

    [Fact(Timeout = SpecTimeout)]
    public async Task A_record_batch_in_every_compression_codec_is_stored_and_fetched_back()
    {
        var topic = "codecs-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.CreateTopicAsync(topic, 1);
        var expected = new List<string>();
        await using var connection = await RawKafkaConnection.ConnectAsync(Bootstrap);
        foreach (var codec in new[] { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            var values = Enumerable.Range(0, 10).Select(i => $"{codec}-{i}-" + new string('x', i * 10)).ToList();
            var response = await connection.RoundTripAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 0, KafkaRequests.Batch(values, codec)), ProduceResponse.Read);
            Assert.Equal(ErrorCode.None, (ErrorCode)response.Responses.Single().PartitionResponses.Single().ErrorCode);
            expected.AddRange(values);
        }
        Assert.Equal(expected, await KafkaRequests.FetchValuesAsync(Bootstrap, topic, 0));
    }
}
