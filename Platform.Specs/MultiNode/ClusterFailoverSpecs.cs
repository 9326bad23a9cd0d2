using System.Diagnostics;
using System.Text;
using Platform.Actors;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Three `platform node --seed` processes forming one Akka cluster over remoting on 127.0.0.1, sharing a
/// journal on a real PostgreSQL server; one is killed with SIGKILL halfway through a `platform produce`
/// that talks to it. Its partitions must come up on the survivors, produce must exit 0, and a checker
/// (`platform consume --from-beginning`) must find every line exactly once, in order, with dense offsets.
/// </summary>
[Trait("Category", "MultiNode")]
[Trait("Category", "Postgres")]
public sealed class ClusterFailoverSpecs(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Failure detection fast enough for specs (the production profile is measured separately).</summary>
    internal const string ClusterHocon = """
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
        var (a1, a2, a3) = (HostProcess.FreePort(), HostProcess.FreePort(), HostProcess.FreePort());
        // Clients bootstrap from the nodes' Kafka listeners (p1..p3); the cluster's seed is a remoting address.
        var (p1, p2, p3) = (HostProcess.FreePort(), HostProcess.FreePort(), HostProcess.FreePort());
        var clusterSeed = $"127.0.0.1:{a1}";
        var seed = $"127.0.0.1:{p1}";
        var configFile = Path.Combine(dataDir, "cluster-test.conf");
        // PLATFORM_FAILOVER_PROFILE=production measures with hocon/cluster.conf as shipped (slower detection).
        var production = Environment.GetEnvironmentVariable("PLATFORM_FAILOVER_PROFILE") == "production";
        await File.WriteAllTextAsync(configFile, production ? "" : ClusterHocon);
        output.WriteLine(production ? "profile: hocon/cluster.conf as shipped" : "profile: spec failure detection (heartbeat 0.5 s, pause 2 s, stable-after 3 s)");
        var nodes = new List<HostProcess>();
        try
        {
            foreach (var (port, kafkaPort) in new[] { (a1, p1), (a2, p2), (a3, p3) })
                nodes.Add(await HostProcess.StartNodeAsync(TestNode.NewDataDir(), port,
                    ["--seed", clusterSeed, "--config", configFile, "--storage", "postgres", "--connection-string", database], kafkaPort));
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
            await Eventually.TrueAsync(async () =>
            {
                description = await admin.DescribeTopicAsync("spread");
                return description.Partitions.Select(p => p.Leader).Distinct().Count() == 3;
            }, "partitions on all three nodes", TimeSpan.FromSeconds(45));
            // Sharding may still be rebalancing: a shard it just moved has no running partition until the next
            // request reaches it (describe sends one), so ask until the count settles.
            (int ExitCode, string Stdout, string Stderr) status = default;
            List<string[]> rows = [];
            await Eventually.TrueAsync(async () =>
            {
                description = await admin.DescribeTopicAsync("spread");
                status = await HostProcess.RunAsync(null, "cluster", "status", "--bootstrap-server", seed);
                rows = status.Stdout.Split('\n').Where(l => l.StartsWith("127.0.0.1:", StringComparison.Ordinal))
                    .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
                return status.ExitCode == 0 && rows.Count == 3 && rows.Sum(r => int.Parse(r[3])) == 12 &&
                       description.Partitions.Select(p => p.Leader).Distinct().Count() == 3;
            }, "cluster status to count all 12 partitions on three members", TimeSpan.FromSeconds(45));
            Assert.Equal(3, rows.Count);
            Assert.All(rows, r => Assert.Equal(["Up", "yes"], r[1..3]));
            Assert.Equal(12, rows.Sum(r => int.Parse(r[3])));
            Assert.Contains($"LEADER 127.0.0.1:", status.Stdout);
            var onDeadNode = description.Partitions.Where(p => p.Leader == $"127.0.0.1:{p3}").Select(p => p.Partition).ToList();

            // `platform produce` talks to the victim first and writes numbered, keyed lines while it dies.
            var lines = Enumerable.Range(0, 4000).Select(i => (Key: $"k{i % 37}", Value: $"v{i}")).ToList();
            var produce = HostProcess.StartWithInput("produce", "spread", "--key-separator", ":",
                "--bootstrap-server", $"127.0.0.1:{p3},{seed},127.0.0.1:{p2}");
            async Task Feed(int from, int to)
            {
                for (var i = from; i < to; i += 50)
                {
                    foreach (var (key, value) in lines.Skip(i).Take(Math.Min(50, to - i))) await produce.Input.WriteLineAsync($"{key}:{value}");
                    await produce.Input.FlushAsync();
                    await Task.Delay(5);
                }
            }
            await Feed(0, 2000);
            // Halfway, once a good part of it is acknowledged: SIGKILL.
            await Eventually.TrueAsync(async () => (await admin.DescribeTopicAsync("spread")).Partitions.Sum(p => p.HighWatermark) >= 1000,
                "1000 records acknowledged");
            var killedAt = Stopwatch.StartNew();
            n3.Kill();
            var feeding = Feed(2000, lines.Count);
            // The steps' times, for the record: unreachable, then downed/removed by the split-brain resolver.
            // Asked with the default request timeout: while a member is unreachable the answering node waits
            // a few seconds for sharding's statistics from every member, longer than the watcher's 1 s.
            var victim = $"127.0.0.1:{p3}";
            var steps = Task.Run(async () =>
            {
                string? last = null;
                var log = new List<string>();
                try
                {
                    await Eventually.TrueAsync(async () =>
                    {
                        var member = (await admin.ClusterStatusAsync()).Members.FirstOrDefault(m => m.Address == victim);
                        var now = member is null ? "removed" : member.Reachable ? member.Status : $"{member.Status}, unreachable";
                        if (now != last) log.Add($"{killedAt.Elapsed.TotalSeconds:N1} s {now}");
                        last = now;
                        return member is null;
                    }, $"{victim} removed", TimeSpan.FromSeconds(60) - killedAt.Elapsed);
                }
                catch (TimeoutException)
                {
                    // The steps are for the record; the failover itself is asserted below.
                }
                return string.Join("; ", log);
            });
            // Requests to the dead node's partitions wait until the split-brain resolver downs it and
            // sharding starts them on a survivor, which recovers them from the shared journal.
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    var now = await new PlatformAdmin(watcher).DescribeTopicAsync("spread");
                    return now.Partitions.All(p => p.Leader != $"127.0.0.1:{p3}");
                }
                catch (PlatformException e) when (e.Code is ErrorCode.RequestTimedOut or ErrorCode.NetworkException)
                {
                    return false;
                }
            }, "every partition served by a survivor", TimeSpan.FromSeconds(60));
            var failover = killedAt.Elapsed;
            output.WriteLine($"failover: every partition served by a survivor {failover.TotalSeconds:N1} s after SIGKILL ({onDeadNode.Count} partitions moved)");
            output.WriteLine($"the victim as the cluster saw it: {await steps}");
            await feeding;
            produce.Input.Close();
            Assert.Equal(0, await produce.WaitForExitAsync(TimeSpan.FromMinutes(2)));
            Assert.Contains($"produced {lines.Count} records", produce.Stderr);

            // The checker: `platform consume --from-beginning` reads every partition; each produced line is
            // there exactly once, in order per key (and so per partition), with dense offsets.
            var consumed = await HostProcess.RunAsync(null, "consume", "spread", "--from-beginning", "--print-key", "--print-offset",
                "--max-messages", "100000", "--timeout-ms", "3000", "--bootstrap-server", $"127.0.0.1:{p2},{seed}");
            Assert.Equal(0, consumed.ExitCode);
            var received = consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(row =>
            {
                var fields = row.Split('\t');
                var position = fields[0].Split(':');
                return (Partition: int.Parse(position[0]), Offset: long.Parse(position[1]), Key: fields[1], Value: fields[2]);
            }).ToList();
            Assert.Equal(lines.Count, received.Count);
            Assert.Equal(lines.Select(l => l.Value).Order(), received.Select(r => r.Value).Order());
            foreach (var partition in received.GroupBy(r => r.Partition))
                Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
            foreach (var key in received.GroupBy(r => r.Key))
                Assert.Equal(lines.Where(l => l.Key == key.Key).Select(l => l.Value), key.Select(r => r.Value));

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
}
