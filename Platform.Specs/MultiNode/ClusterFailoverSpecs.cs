using System.Diagnostics;
using System.Text;
using Platform.Actors;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Three `platform node --seed` processes forming one Akka cluster over remoting on 127.0.0.1, sharing a
/// journal on a real PostgreSQL server; one is killed with SIGKILL. Its partitions must come up on the
/// survivors and every acknowledged record must be read back, in order, with dense offsets.
/// </summary>
[Trait("Category", "MultiNode")]
[Trait("Category", "Postgres")]
public sealed class ClusterFailoverSpecs(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string ClusterHocon = """
        akka.cluster.failure-detector.heartbeat-interval = 500ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 2s
        akka.cluster.split-brain-resolver.stable-after = 3s
        akka.cluster.sharding.rebalance-interval = 2s
        """;

    [Fact]
    public async Task A_killed_nodes_partitions_move_to_the_survivors_and_no_acknowledged_record_is_lost()
    {
        var dataDir = TestNode.NewDataDir();
        var database = await TestPostgres.NewDatabaseAsync();
        var (p1, p2, p3) = (HostProcess.FreePort(), HostProcess.FreePort(), HostProcess.FreePort());
        var seed = $"127.0.0.1:{p1}";
        var configFile = Path.Combine(dataDir, "cluster-test.conf");
        await File.WriteAllTextAsync(configFile, ClusterHocon);
        var nodes = new List<HostProcess>();
        try
        {
            foreach (var port in new[] { p1, p2, p3 })
                nodes.Add(await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port,
                    ["--seed", seed, "--config", configFile, "--storage", "postgres", "--connection-string", database]));
            var n3 = nodes[2];

            await using var connection = await PlatformConnection.ConnectAsync($"{seed},127.0.0.1:{p2}");
            // Short request timeouts for watching the failover: a request to a partition being moved times out
            // and is asked again.
            await using var watcher = await PlatformConnection.ConnectAsync($"{seed},127.0.0.1:{p2}",
                Akka.Configuration.ConfigurationFactory.ParseString("platform.client.request-timeout = 1s"));
            var admin = new PlatformAdmin(connection);
            await admin.CreateTopicAsync("spread", 12);
            // Wait until all three nodes host partitions (a shard region registers with the coordinator a
            // moment after its node is Up; rebalancing then moves shards onto it).
            var description = await admin.DescribeTopicAsync("spread");
            await Until(async () =>
            {
                description = await admin.DescribeTopicAsync("spread");
                return description.Partitions.Select(p => p.Leader).Distinct().Count() == 3;
            }, "partitions on all three nodes", TimeSpan.FromSeconds(45));
            var status = await HostProcess.RunAsync(null, "cluster", "status", "--bootstrap-server", seed);
            Assert.Equal(0, status.ExitCode);
            var rows = status.Stdout.Split('\n').Where(l => l.StartsWith("127.0.0.1:", StringComparison.Ordinal))
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal(3, rows.Count);
            Assert.All(rows, r => Assert.Equal(["Up", "yes"], r[1..3]));
            Assert.Equal(12, rows.Sum(r => int.Parse(r[3])));
            Assert.Contains($"LEADER 127.0.0.1:", status.Stdout);
            var onDeadNode = description.Partitions.Where(p => p.Leader == $"127.0.0.1:{p3}").Select(p => p.Partition).ToList();

            var sent = Enumerable.Range(0, 1200).Select(i => (Key: $"k{i % 37}", Value: $"v{i}")).ToList();
            await using (var producer = new PlatformProducer(connection))
                await Task.WhenAll(sent.Select(r => producer.ProduceAsync("spread", r.Key, r.Value)));

            var killedAt = Stopwatch.StartNew();
            n3.Kill();
            // Requests to the dead node's partitions time out until the split-brain resolver downs it and
            // sharding starts them on a survivor, which recovers them from the shared journal.
            await Until(async () =>
            {
                try
                {
                    var now = await new PlatformAdmin(watcher).DescribeTopicAsync("spread");
                    return now.Partitions.All(p => p.Leader != $"127.0.0.1:{p3}");
                }
                catch (PlatformException e) when (e.Code == ErrorCode.RequestTimedOut)
                {
                    return false;
                }
            }, "every partition served by a survivor", TimeSpan.FromSeconds(60));
            var failover = killedAt.Elapsed;
            output.WriteLine($"failover: every partition served by a survivor {failover.TotalSeconds:N1} s after SIGKILL ({onDeadNode.Count} partitions moved)");

            await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
            consumer.Assign(Enumerable.Range(0, 12).Select(p => new TopicPartition("spread", p)));
            var received = new List<ConsumeResult>();
            while (received.Count < sent.Count && await consumer.ConsumeAsync(TimeSpan.FromSeconds(20)) is { } r) received.Add(r);
            Assert.Equal(sent.Count, received.Count);
            Assert.Equal(sent.Select(s => s.Value).Order(), received.Select(r => Encoding.UTF8.GetString(r.Value!)).Order());
            foreach (var partition in received.GroupBy(r => r.Partition))
                Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
            foreach (var key in received.GroupBy(r => Encoding.UTF8.GetString(r.Key!)))
                Assert.Equal(sent.Where(s => s.Key == key.Key).Select(s => s.Value), key.Select(r => Encoding.UTF8.GetString(r.Value!)));

            // The moved partitions take new writes, continuing their offsets.
            await using (var producer = new PlatformProducer(connection))
            {
                foreach (var partition in onDeadNode)
                {
                    var delivery = await producer.ProduceAsync("spread", new Message(null, "after"u8.ToArray()), partition);
                    Assert.Equal(received.Count(r => r.Partition == partition), delivery.Offset);
                }
            }
            Assert.True(failover < TimeSpan.FromSeconds(60), $"failover took {failover}");
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    private static Task Until(Func<bool> condition, string what) => Until(() => Task.FromResult(condition()), what);

    private static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > (timeout ?? TimeSpan.FromSeconds(30))) throw new TimeoutException($"Timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
