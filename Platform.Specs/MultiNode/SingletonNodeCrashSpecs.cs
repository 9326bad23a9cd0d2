using System.Diagnostics;
using System.Text;
using Akka.Cluster;
using Platform.Client;
using Platform.Specs.Support;
using Xunit.Abstractions;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Issue #13's first failure, as a new user met it: three nodes on PostgreSQL, a producer paced at about
/// 2,000 records/s over all three bootstrap servers, and the oldest node (it holds the cluster singletons:
/// the topic registry and the producer-id allocator) crashing 3 s in. A retriable error on the way (a
/// Metadata request the registry never answers, a connection that breaks) must be retried within the
/// delivery timeout: every record is acknowledged, and the log holds each exactly once.
/// </summary>
[Trait("Category", "MultiNode")]
[Trait("Category", "Postgres")]
public sealed class SingletonNodeCrashSpecs(ITestOutputHelper output)
{
    private const int Records = 20_000;
    private const int PerSecond = 2_000;

    [Fact]
    public async Task A_paced_producer_over_all_bootstrap_servers_gets_every_record_acknowledged_when_the_singletons_node_crashes()
    {
        await using var cluster = await InProcessCluster.StartAsync();
        var oldest = OldestNode(cluster);
        output.WriteLine($"oldest node (singletons): {oldest} ({cluster.Endpoint(oldest)})");
        await using (var adminConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers((oldest + 1) % 3)))
        {
            var admin = new PlatformAdmin(adminConnection);
            await admin.CreateTopicAsync("paced", 6);
            await cluster.AwaitSpreadAsync(admin, "paced", 3);
        }

        // As `platform produce --bootstrap-server a,b,c` would: a fresh connection, the oldest node first.
        await using var connection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers(oldest));
        await using var producer = new PlatformProducer(connection);
        var clock = Stopwatch.StartNew();
        var deliveries = new List<Task<DeliveryResult>>(Records);
        var crash = Task.CompletedTask;
        for (var n = 0; n < Records; n++)
        {
            // Paced: record n leaves at n / PerSecond seconds.
            var due = TimeSpan.FromSeconds((double)n / PerSecond);
            if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
            if (crash.IsCompleted && n == 3 * PerSecond) crash = cluster.Crash(oldest);
            deliveries.Add(producer.ProduceAsync("paced", $"k{n % 101}", $"{n}"));
        }
        await crash;
        var outcomes = await Task.WhenAll(deliveries.Select(async d =>
        {
            try
            {
                return (Result: await d, Error: (string?)null);
            }
            catch (PlatformException e)
            {
                return (Result: (DeliveryResult?)null, Error: $"{e.Code}: {e.Reason}");
            }
        }));
        var failed = outcomes.Where(o => o.Error is not null).ToList();
        output.WriteLine($"{Records - failed.Count} of {Records} acknowledged in {clock.Elapsed.TotalSeconds:N1} s" +
                         (failed.Count > 0 ? $"; first error: {failed[0].Error}" : ""));
        Assert.Empty(failed);

        // The log: every record once, at the offset it was acknowledged with.
        await using var readConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers((oldest + 1) % 3));
        await using var reader = new PlatformConsumer(readConnection, AutoOffsetReset.Earliest);
        reader.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartition("paced", p)));
        var log = new List<ConsumeResult>();
        while (log.Count < Records && await reader.ConsumeAsync(TimeSpan.FromSeconds(30)) is { } r) log.Add(r);
        Assert.Equal(Records, log.Count);
        var byValue = log.ToDictionary(r => Encoding.UTF8.GetString(r.Value!));
        for (var n = 0; n < Records; n++)
            Assert.Equal((outcomes[n].Result!.Partition, outcomes[n].Result!.Offset), (byValue[$"{n}"].Partition, byValue[$"{n}"].Offset));
    }

    /// <summary>
    /// The same with real processes, as the issue reported it: `platform produce` fed ~2,000 lines/s over all
    /// three bootstrap servers, and SIGKILL of the first seed node (the oldest) 3 s in; produce must exit 0.
    /// </summary>
    [Fact]
    public async Task Platform_produce_paced_over_all_bootstrap_servers_exits_0_when_the_first_seed_node_is_killed()
    {
        var database = await TestPostgres.NewDatabaseAsync();
        var remoting = Enumerable.Range(0, 3).Select(_ => HostProcess.FreePort()).ToList();
        var kafka = Enumerable.Range(0, 3).Select(_ => HostProcess.FreePort()).ToList();
        var configFile = Path.Combine(TestNode.NewDataDir(), "cluster-test.conf");
        await File.WriteAllTextAsync(configFile, ClusterFailoverSpecs.ClusterHocon);
        var nodes = new List<HostProcess>();
        try
        {
            // Started one after another: the first is the oldest member, where the singletons run.
            for (var i = 0; i < 3; i++)
                nodes.Add(await HostProcess.StartNodeAsync(TestNode.NewDataDir(), remoting[i],
                    ["--seed", $"127.0.0.1:{remoting[0]}", "--config", configFile, "--storage", "postgres", "--connection-string", database], kafka[i]));
            var servers = string.Join(",", kafka.Select(p => $"127.0.0.1:{p}"));
            await using (var connection = await PlatformConnection.ConnectAsync($"127.0.0.1:{kafka[1]}"))
            {
                var admin = new PlatformAdmin(connection);
                await admin.CreateTopicAsync("paced", 6);
                await Eventually.TrueAsync(async () => (await admin.DescribeTopicAsync("paced")).Partitions.Select(p => p.Leader).Distinct().Count() == 3,
                    "partitions on all three nodes", TimeSpan.FromSeconds(60));
            }

            var produce = HostProcess.StartWithInput("produce", "paced", "--key-separator", ":", "--bootstrap-server", servers);
            var clock = Stopwatch.StartNew();
            for (var n = 0; n < Records; n += 100)
            {
                var due = TimeSpan.FromSeconds((double)n / PerSecond);
                if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
                if (n == 3 * PerSecond) nodes[0].Kill();
                for (var i = n; i < n + 100; i++) await produce.Input.WriteLineAsync($"k{i % 101}:{i}");
                await produce.Input.FlushAsync();
            }
            produce.Input.Close();
            var exit = await produce.WaitForExitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine($"produce exited {exit} after {clock.Elapsed.TotalSeconds:N1} s: {produce.Stderr.Trim()}");
            Assert.Equal(0, exit);
            Assert.Contains($"produced {Records} records", produce.Stderr);
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
        }
    }

    /// <summary>The node whose member is the oldest Up: where sharding's coordinator and the singletons run.</summary>
    private static int OldestNode(InProcessCluster cluster)
    {
        var members = Cluster.Get(cluster.Nodes[0].System).State.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        var oldest = members.Aggregate((a, b) => a.IsOlderThan(b) ? a : b);
        return Enumerable.Range(0, cluster.Nodes.Count).Single(i => Cluster.Get(cluster.Nodes[i].System).SelfAddress == oldest.Address);
    }
}
