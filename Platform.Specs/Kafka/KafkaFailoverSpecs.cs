using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Specs.MultiNode;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// Three `platform node` processes on PostgreSQL; an idempotent Confluent.Kafka producer and a Confluent.Kafka
/// group consumer, both bootstrapped with all three Kafka listeners, keep going while the oldest node (the home
/// of the topic registry, the producer id allocator and the group directory) is killed with SIGKILL. Every
/// acknowledged record must be in the log exactly once, in order per key, and the group consumer must see all.
/// </summary>
[Trait("Category", "MultiNode")]
[Trait("Category", "Postgres")]
[Trait("Category", "Kafka")]
public sealed class KafkaFailoverSpecs(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string ClusterHocon = ClusterFailoverSpecs.ClusterHocon + "\nplatform.group.initial-rebalance-delay = 0s\n";

    [Fact]
    public async Task Kafka_clients_ride_out_a_killed_node_and_every_acknowledged_record_is_read_back_once()
    {
        var database = await TestPostgres.NewDatabaseAsync();
        var configFile = Path.Combine(TestNode.NewDataDir(), "cluster-test.conf");
        await File.WriteAllTextAsync(configFile, ClusterHocon);
        var ports = Enumerable.Range(0, 3).Select(_ => (Akka: HostProcess.FreePort(), Kafka: HostProcess.FreePort())).ToList();
        var seed = $"127.0.0.1:{ports[0].Akka}";
        var bootstrap = string.Join(",", ports.Select(p => $"127.0.0.1:{p.Kafka}"));
        var nodes = new List<HostProcess>();
        try
        {
            foreach (var (akka, kafka) in ports)
                nodes.Add(await HostProcess.StartNodeAsync(TestNode.NewDataDir(), akka,
                    ["--seed", seed, "--config", configFile, "--storage", "postgres", "--connection-string", database, "--kafka-port", kafka.ToString()]));

            const string topic = "kfail";
            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 6, ReplicationFactor = 1 }]);
                await Eventually.TrueAsync(() =>
                {
                    var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(5));
                    return metadata.Brokers.Count == 3 && metadata.Topics[0].Partitions.Select(p => p.Leader).Distinct().Count() == 3;
                }, "partitions led by all three nodes", TimeSpan.FromSeconds(45));
            }

            var seen = new ConcurrentDictionary<string, int>();
            using var stopConsumer = new CancellationTokenSource();
            var consumer = Task.Run(() => ConsumeInGroup(bootstrap, topic, seen, stopConsumer.Token));

            var acknowledged = new ConcurrentDictionary<string, byte>();
            var errors = new ConcurrentQueue<string>();
            var config = new ProducerConfig
            {
                BootstrapServers = bootstrap,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = 5,
                MessageTimeoutMs = 90_000,
            };
            var clock = Stopwatch.StartNew();
            using (var producer = new ProducerBuilder<string, string>(config).Build())
            {
                for (var i = 0; i < 6000; i++)
                {
                    if (i == 2000)
                    {
                        await Eventually.TrueAsync(() => acknowledged.Count >= 1500, "1500 records acknowledged");
                        output.WriteLine($"{clock.Elapsed.TotalSeconds:N1} s: SIGKILL of the oldest node");
                        nodes[0].Kill();
                    }
                    var value = $"v{i}";
                    producer.Produce(topic, new Message<string, string> { Key = $"k{i % 41}", Value = value }, report =>
                    {
                        if (report.Error.IsError) errors.Enqueue($"{value}: {report.Error.Reason}");
                        else acknowledged[value] = 0;
                    });
                    if (i % 20 == 0) await Task.Delay(10); // ~2,000 records/s: the kill lands mid-stream
                }
                producer.Flush(TimeSpan.FromSeconds(120));
            }
            output.WriteLine($"{clock.Elapsed.TotalSeconds:N1} s: {acknowledged.Count} acknowledged, {errors.Count} failed");
            Assert.Empty(errors);
            Assert.Equal(6000, acknowledged.Count);

            await Eventually.TrueAsync(() => acknowledged.Keys.All(seen.ContainsKey), "the group consumer to see every acknowledged record",
                TimeSpan.FromSeconds(60));
            await stopConsumer.CancelAsync();
            await consumer;

            // The log itself: every acknowledged record exactly once (the idempotent producer's retries were
            // recognised), in production order per key.
            var log = await ReadAllAsync(bootstrap, topic);
            Assert.Equal(6000, log.Count);
            Assert.Equal(acknowledged.Keys.Order(), log.Select(r => r.Value).Order());
            foreach (var byKey in log.GroupBy(r => r.Key))
            {
                var numbers = byKey.Select(r => int.Parse(r.Value[1..])).ToList();
                Assert.Equal(numbers.Order(), numbers);
            }
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    private static void ConsumeInGroup(string bootstrap, string topic, ConcurrentDictionary<string, int> seen, CancellationToken stop)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "kfail-group",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 200,
            SessionTimeoutMs = 10_000,
        };
        using var consumer = new ConsumerBuilder<string, string>(config).Build();
        consumer.Subscribe(topic);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
                    seen.AddOrUpdate(result.Message.Value, 1, (_, n) => n + 1);
            }
            catch (ConsumeException)
            {
                // Retriable while the cluster moves a coordinator or a partition; the consumer carries on.
            }
        }
        consumer.Close();
    }

    private static async Task<List<(string Key, string Value)>> ReadAllAsync(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "kfail-check",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var records = new List<(string, string)>();
        var ended = new HashSet<int>();
        try
        {
            await Eventually.TrueAsync(() =>
            {
                switch (consumer.Consume(TimeSpan.FromMilliseconds(500)))
                {
                    case { IsPartitionEOF: true } end: ended.Add(end.Partition.Value); break;
                    case { } result: records.Add((result.Message.Key, result.Message.Value)); break;
                }
                return ended.Count == 6;
            }, "the end of every partition", TimeSpan.FromSeconds(60), TimeSpan.Zero);
        }
        catch (TimeoutException)
        {
            // What was read so far: the spec's comparison names what is missing.
        }
        return records;
    }
}
