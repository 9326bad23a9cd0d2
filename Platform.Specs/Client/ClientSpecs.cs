using System.Diagnostics;
using System.Text;
using Platform.Actors;
using Platform.Actors.Hosting;
using Platform.Client;
using Platform.Client.Kafka;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;
using Platform.Specs.Support;

namespace Platform.Specs.Client;

/// <summary>The client library against a real node over Akka.Remote on loopback.</summary>
public sealed class ClientSpecs : IAsyncLifetime
{
    private PlatformNode _node = null!;
    private PlatformConnection _connection = null!;
    private PlatformAdmin _admin = null!;
    private readonly string _dataDir = TestNode.NewDataDir();

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dataDir);
        _connection = await PlatformConnection.ConnectAsync(_node.KafkaEndpoint);
        _admin = new PlatformAdmin(_connection);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _node.StopAsync();
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private async Task<List<ConsumeResult>> ReadAll(string topic, int partitions, int expected)
    {
        await using var consumer = new PlatformConsumer(_connection, AutoOffsetReset.Earliest);
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)));
        var records = new List<ConsumeResult>();
        while (records.Count < expected && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } record) records.Add(record);
        return records;
    }

    [Fact]
    public async Task A_topic_lookup_survives_another_partitions_retry_forgetting_the_topic_meanwhile()
    {
        // A producer retrying several partitions at once forgets the topic's route on each retry while others look
        // it up again; a lookup that read its answer back from the shared cache found it gone (KeyNotFoundException,
        // which failed a PostgresOutageSpecs producer's batches with UnknownServerError after a database cut).
        await _admin.CreateTopicAsync("forgotten", 6);
        var cluster = _connection.Cluster;
        using var stop = new CancellationTokenSource();
        var forgetting = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested) cluster.Invalidate("forgotten");
        });
        try
        {
            for (var i = 0; i < 500; i++)
            {
                var route = await cluster.TopicAsync("forgotten", refresh: true);
                Assert.Equal(6, route.PartitionCount);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await forgetting;
        }
    }

    [Fact]
    public async Task Admin_creates_lists_describes_alters_and_deletes_topics()
    {
        await _admin.CreateTopicAsync("orders", 3, new Dictionary<string, string> { ["retention.ms"] = "60000" });
        Assert.Contains("orders", (await _admin.ListTopicsAsync()).Select(t => t.Name));
        var described = await _admin.DescribeTopicAsync("orders");
        Assert.Equal("60000", described.Configs["retention.ms"]);
        Assert.Equal([0, 1, 2], described.Partitions.Select(p => p.Partition));
        Assert.All(described.Partitions, p => Assert.Equal(_node.KafkaEndpoint, p.Leader));
        Assert.Equal(5, (await _admin.CreatePartitionsAsync("orders", 5)).PartitionCount);
        Assert.Equal(5, (await _admin.DescribeTopicAsync("orders")).Partitions.Count);
        await _admin.DeleteTopicAsync("orders");
        Assert.DoesNotContain("orders", (await _admin.ListTopicsAsync()).Select(t => t.Name));
    }

    [Theory]
    [InlineData("bad name!", 1, ErrorCode.InvalidTopicException)]
    [InlineData("zero", 0, ErrorCode.InvalidPartitions)]
    public async Task Admin_errors_carry_Kafka_error_codes(string name, int partitions, ErrorCode expected)
    {
        var e = await Assert.ThrowsAsync<PlatformException>(() => _admin.CreateTopicAsync(name, partitions));
        Assert.Equal(expected, e.Code);
    }

    [Fact]
    public async Task Existing_names_bad_configs_shrinking_and_unknown_topics_are_refused()
    {
        await _admin.CreateTopicAsync("dup", 2);
        Assert.Equal(ErrorCode.TopicAlreadyExists, (await Assert.ThrowsAsync<PlatformException>(() => _admin.CreateTopicAsync("dup", 1))).Code);
        Assert.Equal(ErrorCode.InvalidPartitions, (await Assert.ThrowsAsync<PlatformException>(() => _admin.CreatePartitionsAsync("dup", 1))).Code);
        Assert.Equal(ErrorCode.InvalidConfig, (await Assert.ThrowsAsync<PlatformException>(() =>
            _admin.CreateTopicAsync("cfg", 1, new Dictionary<string, string> { ["retention.ms"] = "forever" }))).Code);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await Assert.ThrowsAsync<PlatformException>(() => _admin.DeleteTopicAsync("nope"))).Code);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, (await Assert.ThrowsAsync<PlatformException>(() => _admin.DescribeTopicAsync("nope"))).Code);
    }

    [Fact]
    public async Task Producing_to_an_unknown_topic_fails_with_UnknownTopicOrPartition_when_auto_creation_is_off()
    {
        await using var producer = new PlatformProducer(_connection);
        var e = await Assert.ThrowsAsync<PlatformException>(() => producer.ProduceAsync("missing", null, "x"));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, e.Code);
        Assert.DoesNotContain("missing", (await _admin.ListTopicsAsync()).Select(t => t.Name));
    }

    [Fact]
    public async Task Keyed_records_land_in_Kafkas_partition_for_the_key_and_are_read_back_in_order()
    {
        await _admin.CreateTopicAsync("keyed", 4);
        await using var producer = new PlatformProducer(_connection);
        var sent = Enumerable.Range(0, 400).Select(i => (Key: $"user-{i % 17}", Value: $"event-{i}")).ToList();
        var deliveries = await Task.WhenAll(sent.Select(r => producer.ProduceAsync("keyed", r.Key, r.Value)));
        for (var i = 0; i < sent.Count; i++)
            Assert.Equal(Murmur2.PartitionForKey(Utf8(sent[i].Key), 4), deliveries[i].Partition);

        var records = await ReadAll("keyed", 4, sent.Count);
        Assert.Equal(sent.Count, records.Count);
        foreach (var key in sent.Select(s => s.Key).Distinct())
            Assert.Equal(sent.Where(s => s.Key == key).Select(s => s.Value),
                records.Where(r => Encoding.UTF8.GetString(r.Key!) == key).Select(r => Encoding.UTF8.GetString(r.Value!)));
    }

    [Fact]
    public async Task Keyless_records_spread_over_partitions()
    {
        await _admin.CreateTopicAsync("spread", 4);
        await using var producer = new PlatformProducer(_connection, _connection.Settings.WithBatchSize(1024));
        var deliveries = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => producer.ProduceAsync("spread", null, $"value-{i:D5}")));
        Assert.True(deliveries.Select(d => d.Partition).Distinct().Count() > 1);
    }

    /// <summary>How many RecordBatches a partition's log holds, read with a raw Fetch as any Kafka client would.</summary>
    private async Task<int> BatchesIn(string topic, int partition)
    {
        var broker = await _connection.Cluster.LeaderAsync(topic, partition);
        var response = await broker.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, new FetchRequest
        {
            ReplicaId = -1, MaxWaitMs = 0, MinBytes = 1, MaxBytes = 1 << 20, SessionEpoch = -1,
            Topics = [new FetchRequest.FetchTopic
            {
                Topic = topic,
                Partitions = [new FetchRequest.FetchPartition { Partition = partition, FetchOffset = 0, PartitionMaxBytes = 1 << 20, CurrentLeaderEpoch = -1, LogStartOffset = -1 }],
            }],
        }, TimeSpan.FromSeconds(10), minVersion: 4);
        var ranges = new List<(int Start, int Length)>();
        Assert.True(RecordBatch.Split(response.Responses[0].Partitions[0].Records!.ToArray(), ranges));
        return ranges.Count;
    }

    [Fact]
    public async Task A_producer_holds_a_batch_for_its_linger_and_sends_what_gathered_meanwhile_as_one_batch()
    {
        await _admin.CreateTopicAsync("linger", 1);
        var linger = TimeSpan.FromMilliseconds(300);
        await using var producer = new PlatformProducer(_connection, _connection.Settings.WithLinger(linger));
        await producer.ProduceAsync("linger", null, "warm-up"); // metadata and producer id, so the clock below times the linger alone
        var clock = Stopwatch.StartNew();
        var deliveries = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => producer.ProduceAsync("linger", null, $"v{i}")))
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(clock.Elapsed >= linger - TimeSpan.FromMilliseconds(5), $"acknowledged after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), deliveries.Select(d => d.Offset));
        Assert.Equal(2, await BatchesIn("linger", 0));
    }

    [Fact]
    public async Task Consumers_seek_to_an_offset_to_the_end_and_to_the_beginning()
    {
        await _admin.CreateTopicAsync("seek", 1);
        await using var producer = new PlatformProducer(_connection);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => producer.ProduceAsync("seek", null, $"v{i}")));
        var tp = new TopicPartition("seek", 0);
        await using var consumer = new PlatformConsumer(_connection);
        consumer.Assign([new TopicPartitionOffset("seek", 0, 7)]);
        Assert.Equal("v7", Encoding.UTF8.GetString((await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)))!.Value!));
        Assert.Equal(8, consumer.Position(tp));
        consumer.SeekToBeginning([tp]);
        Assert.Equal(0, (await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)))!.Offset);
        consumer.SeekToEnd([tp]);
        Assert.Null(await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(700)));
        await producer.ProduceAsync("seek", null, "new");
        Assert.Equal(10, (await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)))!.Offset);
    }

    [Fact]
    public async Task A_batch_of_one_megabyte_passes_remoting_and_a_larger_record_is_MessageTooLarge()
    {
        await _admin.CreateTopicAsync("big", 1);
        await using var producer = new PlatformProducer(_connection);
        var value = new byte[1_000_000];
        Random.Shared.NextBytes(value);
        var delivery = await producer.ProduceAsync("big", new Message(null, value));
        Assert.Equal(0, delivery.Offset);
        var tooBig = await Assert.ThrowsAsync<PlatformException>(() => producer.ProduceAsync("big", new Message(null, new byte[1_100_000])));
        Assert.Equal(ErrorCode.MessageTooLarge, tooBig.Code);
        var read = Assert.Single(await ReadAll("big", 1, 1));
        Assert.Equal(value, read.Value);
    }

    [Fact]
    public async Task A_record_over_max_request_size_fails_at_once_on_the_client_with_MessageTooLarge()
    {
        await _admin.CreateTopicAsync("huge", 1);
        var settings = _connection.Settings.WithMaxRequestSize(64 * 1024);
        await using var producer = new PlatformProducer(_connection, settings);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PlatformException>(() => producer.ProduceAsync("huge", new Message(null, new byte[20_000_000])));
        Assert.Equal(ErrorCode.MessageTooLarge, error.Code);
        Assert.Contains("max.request.size of 65536 bytes", error.Reason);
        Assert.True(watch.ElapsedMilliseconds < 1000, $"took {watch.ElapsedMilliseconds} ms");
        // Within the limit it goes through, and the refused record left nothing behind.
        var delivered = await producer.ProduceAsync("huge", new Message(null, new byte[60_000]));
        Assert.Equal(0, delivered.Offset);
    }

    [Fact]
    public async Task Deleting_and_recreating_a_topic_gives_an_empty_topic()
    {
        await _admin.CreateTopicAsync("again", 1);
        await using (var producer = new PlatformProducer(_connection))
            await producer.ProduceAsync("again", null, "old");
        await _admin.DeleteTopicAsync("again");
        await _admin.CreateTopicAsync("again", 1);
        var description = await _admin.DescribeTopicAsync("again");
        Assert.Equal(0, description.Partitions[0].HighWatermark);
        await using (var producer = new PlatformProducer(_connection))
            Assert.Equal(0, (await producer.ProduceAsync("again", null, "new")).Offset);
    }

    [Fact]
    public async Task Consuming_an_unknown_partition_fails_with_UnknownTopicOrPartition()
    {
        await _admin.CreateTopicAsync("two", 2);
        await using var consumer = new PlatformConsumer(_connection);
        consumer.Assign([new TopicPartition("two", 5)]);
        var e = await Assert.ThrowsAsync<PlatformException>(() => consumer.ConsumeAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, e.Code);
    }

    [Fact]
    public async Task The_offset_for_a_time_is_the_first_record_at_or_after_it()
    {
        await _admin.CreateTopicAsync("timed", 1);
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        await using (var producer = new PlatformProducer(_connection))
            for (var i = 0; i < 50; i++)
                await producer.ProduceAsync("timed", new Message(null, Utf8($"v{i}"), Timestamp: start.AddSeconds(i)));
        Assert.Equal(0, await _admin.OffsetForTimeAsync("timed", 0, start.AddDays(-1)));
        Assert.Equal(20, await _admin.OffsetForTimeAsync("timed", 0, start.AddSeconds(20)));
        Assert.Equal(21, await _admin.OffsetForTimeAsync("timed", 0, start.AddSeconds(20.5)));
        Assert.Equal(50, await _admin.OffsetForTimeAsync("timed", 0, start.AddDays(1))); // none that late: the log end
    }

    [Fact]
    public async Task Cluster_status_shows_the_single_member_as_leader_with_the_partitions_it_hosts()
    {
        await _admin.CreateTopicAsync("counted", 3);
        await _admin.DescribeTopicAsync("counted"); // starts all three partitions
        var status = await _admin.ClusterStatusAsync();
        var member = Assert.Single(status.Members);
        Assert.Equal(_node.KafkaEndpoint, status.Leader);
        Assert.Equal((_node.KafkaEndpoint, "Up", true), (member.Address, member.Status, member.Reachable));
        Assert.Contains("broker", member.Roles);
        Assert.True(member.Partitions >= 3);
    }
}
