using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Platform.Client;
using Xunit.Abstractions;
using Platform.Specs.Support;

namespace Platform.Specs.MultiNode;

/// <summary>
/// Three nodes in one test process forming a real cluster over remoting on 127.0.0.1 with one PostgreSQL
/// journal, and clients that know all three: a crash under load and a graceful leave, each checked
/// record by record.
/// </summary>
[Trait("Category", "MultiNode")]
[Trait("Category", "Postgres")]
public sealed class InProcessClusterSpecs(ITestOutputHelper output)
{
    private static string Value(ConsumeResult r) => Encoding.UTF8.GetString(r.Value!);

    /// <summary>
    /// A producer that writes numbered, keyed records as fast as acknowledgements allow (up to 64 waiting),
    /// and remembers each acknowledgement with the time it came.
    /// </summary>
    private sealed class SteadyProducer(PlatformProducer producer, string topic, int first)
    {
        private readonly CancellationTokenSource _stop = new();
        public ConcurrentBag<(int Number, DeliveryResult Delivery, long AckedAtMs)> Acked { get; } = [];
        public int Sent { get; private set; }
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public Task Running { get; private set; } = Task.CompletedTask;

        public void Start() => Running = Task.Run(async () =>
        {
            var window = new List<Task>();
            for (var n = first; !_stop.IsCancellationRequested; n++)
            {
                var number = n;
                window.Add(producer.ProduceAsync(topic, $"k{number % 37}", $"{number}")
                    .ContinueWith(t => Acked.Add((number, t.Result, Clock.ElapsedMilliseconds)), TaskContinuationOptions.ExecuteSynchronously));
                Sent++;
                if (window.Count < 64) continue;
                await Task.WhenAny(window);
                window.RemoveAll(t => t.IsCompleted && !t.IsFaulted);
                if (window.FirstOrDefault(t => t.IsFaulted) is { } failed) await failed; // surfaces the error
                await Task.Delay(1);
            }
            await Task.WhenAll(window);
        });

        public async Task StopAsync()
        {
            _stop.Cancel();
            await Running;
        }

        public async Task AwaitAckedAsync(int count) =>
            await Eventually.TrueAsync(() => Acked.Count >= count || Running.IsFaulted, $"{count} acknowledgements",
                TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_node_crashing_under_load_loses_no_acknowledged_record_and_its_consumer_group_continues_from_committed_offsets()
    {
        await using var cluster = await InProcessCluster.StartAsync();
        await using var adminConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers());
        var admin = new PlatformAdmin(adminConnection);
        await admin.CreateTopicAsync("orders", 12);
        var spread = await cluster.AwaitSpreadAsync(admin, "orders", 3);
        output.WriteLine("leaders: " + string.Join(", ", spread.Partitions.Select(p => $"{p.Partition}@{p.Leader}")));

        // A group consumes and commits the first 600 records.
        var first = Enumerable.Range(0, 600).ToList();
        await using (var producer = new PlatformProducer(adminConnection))
            await Task.WhenAll(first.Select(n => producer.ProduceAsync("orders", $"k{n % 37}", $"{n}")));
        var groupSettings = ConsumerGroupSettings.Create("billing").WithSessionTimeout(TimeSpan.FromSeconds(6))
            .WithHeartbeatInterval(TimeSpan.FromMilliseconds(500));
        // Which node coordinates the group is sharding's choice: asking for its offsets starts the coordinator.
        await admin.FetchOffsetsAsync("billing");
        var status = await admin.ClusterStatusAsync();
        var coordinator = await admin.FindCoordinatorAsync("billing");
        var victim = Enumerable.Range(0, 3).Single(i => cluster.Endpoint(i) == coordinator);
        var victimPartitions = status.Members.Single(m => m.Address == cluster.Endpoint(victim)).Partitions;
        output.WriteLine($"group coordinator on node {victim} ({cluster.Endpoint(victim)}), which hosts {victimPartitions} partitions");

        // The consumer talks to the victim first too, so it has to follow the cluster to another node.
        await using var consumerConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers(victim));
        await using var consumer = new PlatformConsumer(consumerConnection, groupSettings, AutoOffsetReset.Earliest);
        consumer.Subscribe(["orders"]);
        var before = new List<ConsumeResult>();
        while (before.Count < first.Count && await consumer.ConsumeAsync(TimeSpan.FromSeconds(30)) is { } r) before.Add(r);
        Assert.Equal(first.Count, before.Count);
        await consumer.CommitAsync();
        var committedBefore = (await admin.FetchOffsetsAsync("billing")).ToDictionary(o => o.Partition, o => o.Offset);
        Assert.Equal(first.Count, committedBefore.Values.Sum());

        // A producer that talks to the victim first, under steady load while it crashes.
        await using var producerConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers(victim));
        await using var loadProducer = new PlatformProducer(producerConnection);
        var load = new SteadyProducer(loadProducer, "orders", first.Count);
        load.Start();
        await load.AwaitAckedAsync(500);
        var crashedAt = load.Clock.ElapsedMilliseconds;
        await cluster.Crash(victim);
        var afterCrash = load.Acked.Count;
        await load.AwaitAckedAsync(afterCrash + 1500);
        await load.StopAsync();
        var acked = load.Acked.OrderBy(a => a.Number).ToList();
        Assert.Equal(load.Sent, acked.Count); // every record produced was acknowledged, none failed
        var gap = acked.Select(a => a.AckedAtMs).Order().Zip(acked.Select(a => a.AckedAtMs).Order().Skip(1), (a, b) => b - a).Max();
        output.WriteLine($"crash at {crashedAt} ms; {acked.Count} records acknowledged; longest pause between acknowledgements {gap} ms");

        // The group goes on: its coordinator recovers the committed offsets on a survivor, and the consumer
        // (whose node may have been the victim too) gets every new record; nothing committed comes again.
        var expected = first.Count + acked.Count;
        var after = new List<ConsumeResult>();
        var seen = before.Select(Value).ToHashSet();
        while (seen.Count < expected && await consumer.ConsumeAsync(TimeSpan.FromSeconds(60)) is { } r)
        {
            after.Add(r);
            seen.Add(Value(r));
        }
        Assert.Equal(expected, seen.Count);
        Assert.DoesNotContain(after, r => r.Offset < committedBefore[r.Partition]);
        var committedAfter = (await admin.FetchOffsetsAsync("billing")).ToDictionary(o => o.Partition, o => o.Offset);
        Assert.All(committedBefore, c => Assert.True(committedAfter[c.Key] >= c.Value, $"partition {c.Key} went back"));
        output.WriteLine($"group delivered {after.Count} records after the crash for {acked.Count} new ones " +
                         $"({after.Count - acked.Count} redelivered, all after the committed offsets)");

        // The log: every acknowledged record exactly once, at its acknowledged offset, dense, in key order.
        await using var reader = new PlatformConsumer(adminConnection, AutoOffsetReset.Earliest);
        reader.Assign(Enumerable.Range(0, 12).Select(p => new TopicPartition("orders", p)));
        var log = new List<ConsumeResult>();
        while (log.Count < expected && await reader.ConsumeAsync(TimeSpan.FromSeconds(30)) is { } r) log.Add(r);
        Assert.Null(await reader.ConsumeAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(expected, log.Count);
        Assert.Equal(Enumerable.Range(0, expected).Select(n => $"{n}"), log.Select(Value).OrderBy(int.Parse));
        foreach (var partition in log.GroupBy(r => r.Partition))
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
        foreach (var key in log.GroupBy(r => Encoding.UTF8.GetString(r.Key!)))
            Assert.Equal(key.Select(r => int.Parse(Value(r))).Order(), key.Select(r => int.Parse(Value(r))));
        var byValue = log.ToDictionary(Value);
        Assert.All(acked, a => Assert.Equal((a.Delivery.Partition, a.Delivery.Offset),
            (byValue[$"{a.Number}"].Partition, byValue[$"{a.Number}"].Offset)));
    }

    [Fact]
    public async Task A_node_leaving_gracefully_hands_its_partitions_off_without_a_failed_or_duplicated_record()
    {
        await using var cluster = await InProcessCluster.StartAsync();
        await using var adminConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers());
        var admin = new PlatformAdmin(adminConnection);
        await admin.CreateTopicAsync("payments", 6);
        await cluster.AwaitSpreadAsync(admin, "payments", 3);

        const int leaver = 2;
        await using var producerConnection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers(leaver));
        await using var loadProducer = new PlatformProducer(producerConnection);
        var load = new SteadyProducer(loadProducer, "payments", 0);
        load.Start();
        await load.AwaitAckedAsync(500);
        var leftAt = load.Clock.ElapsedMilliseconds;
        await cluster.Leave(leaver);
        output.WriteLine($"node {leaver} left in {load.Clock.ElapsedMilliseconds - leftAt} ms");
        var afterLeave = load.Acked.Count;
        await load.AwaitAckedAsync(afterLeave + 1000);
        await load.StopAsync();
        var acked = load.Acked.ToList();
        Assert.Equal(load.Sent, acked.Count);
        var times = acked.Select(a => a.AckedAtMs).Order().ToList();
        output.WriteLine($"{acked.Count} acknowledged; longest pause between acknowledgements {times.Zip(times.Skip(1), (a, b) => b - a).Max()} ms");

        var status = await admin.ClusterStatusAsync();
        Assert.Equal(2, status.Members.Count(m => m.Status == "Up"));
        Assert.Equal(6, status.Members.Sum(m => m.Partitions));

        await using var reader = new PlatformConsumer(adminConnection, AutoOffsetReset.Earliest);
        reader.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartition("payments", p)));
        var log = new List<ConsumeResult>();
        while (log.Count < acked.Count && await reader.ConsumeAsync(TimeSpan.FromSeconds(30)) is { } r) log.Add(r);
        Assert.Null(await reader.ConsumeAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(acked.Select(a => a.Number).Order(), log.Select(r => int.Parse(Value(r))).Order());
        foreach (var partition in log.GroupBy(r => r.Partition))
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
    }

    /// <summary>The longest time within [start, end] that passed without one of <paramref name="times"/>.</summary>
    private static long LongestGap(IEnumerable<long> times, long start, long end)
    {
        var inside = times.Where(t => t > start && t < end).Order().Prepend(start).Append(end).ToList();
        return inside.Zip(inside.Skip(1), (a, b) => b - a).Max();
    }

    [Fact]
    public async Task A_rolling_restart_of_every_node_under_a_steady_producer_and_consumer_loses_and_duplicates_nothing()
    {
        await using var cluster = await InProcessCluster.StartAsync();
        await using var connection = await PlatformConnection.ConnectAsync(cluster.BootstrapServers(1));
        var admin = new PlatformAdmin(connection);
        await admin.CreateTopicAsync("ledger", 6);
        await cluster.AwaitSpreadAsync(admin, "ledger", 3);

        await using var producer = new PlatformProducer(connection);
        var load = new SteadyProducer(producer, "ledger", 0);
        await using var consumer = new PlatformConsumer(connection, AutoOffsetReset.Earliest);
        consumer.Assign(Enumerable.Range(0, 6).Select(p => new TopicPartitionOffset("ledger", p, TopicPartitionOffset.Beginning)));
        var consumed = new List<ConsumeResult>();
        using var stopConsuming = new CancellationTokenSource();
        var consuming = Task.Run(async () =>
        {
            while (!stopConsuming.IsCancellationRequested)
                if (await consumer.ConsumeAsync(TimeSpan.FromMilliseconds(200)) is { } r)
                    lock (consumed) consumed.Add(r);
        });
        load.Start();
        var restarts = new List<(int Node, long StartMs)>();
        foreach (var node in new[] { 0, 1, 2 })
        {
            await load.AwaitAckedAsync(load.Acked.Count + 300);
            var watch = Stopwatch.StartNew();
            restarts.Add((node, load.Clock.ElapsedMilliseconds));
            var (leave, start) = await cluster.RestartAsync(node);
            output.WriteLine($"node {node} restarted in {watch.ElapsedMilliseconds} ms (left in {leave.TotalMilliseconds:N0} ms, " +
                             $"up again in {start.TotalMilliseconds:N0} ms); {load.Acked.Count} acknowledged so far");
        }
        await load.AwaitAckedAsync(load.Acked.Count + 300);
        await load.StopAsync();
        var acked = load.Acked.ToList();
        Assert.Equal(load.Sent, acked.Count);
        // The producer's pause per node, as a Kafka producer sees it: per partition, the longest time without an
        // acknowledgement from the start of the node's restart (its leave) until the next node's, which includes
        // the rebalance of partitions back onto the restarted node (issue #13 asks for at most 2 s). Every
        // partition must have been answered again in every window: none waited for the end of the run.
        for (var i = 0; i < restarts.Count; i++)
        {
            var (start, end) = (restarts[i].StartMs, i + 1 < restarts.Count ? restarts[i + 1].StartMs : load.Clock.ElapsedMilliseconds);
            var pauses = acked.GroupBy(a => a.Delivery.Partition).OrderBy(p => p.Key)
                .Select(p => (Partition: p.Key, Pause: LongestGap(p.Select(a => a.AckedAtMs), start, end),
                    Answered: p.Any(a => a.AckedAtMs > start && a.AckedAtMs <= end))).ToList();
            output.WriteLine($"node {restarts[i].Node}: producer paused at most {pauses.Max(p => p.Pause)} ms " +
                             $"({string.Join(", ", pauses.Select(p => $"p{p.Partition} {p.Pause}"))} ms)");
            Assert.All(pauses, p => Assert.True(p.Answered, $"partition {p.Partition} was not answered while node {restarts[i].Node} restarted"));
        }
        await Eventually.TrueAsync(() =>
        {
            lock (consumed) return consumed.Count >= acked.Count;
        }, "the consumer to catch up", TimeSpan.FromSeconds(60));
        stopConsuming.Cancel();
        await consuming;

        // Nothing lost, nothing twice: in the log, and for the consumer that read along the whole time. A record
        // seen twice at one offset was handed over twice by the consumer; at two offsets, it was written twice.
        foreach (var twice in consumed.GroupBy(Value).Where(g => g.Count() > 1))
            output.WriteLine($"record {twice.Key} consumed {twice.Count()} times: {string.Join(", ", twice.Select(r => $"{r.Partition}@{r.Offset}"))}");
        Assert.Equal(acked.Select(a => $"{a.Number}").Order(), consumed.Select(Value).Order());
        foreach (var partition in consumed.GroupBy(r => r.Partition))
            Assert.Equal(Enumerable.Range(0, partition.Count()).Select(i => (long)i), partition.Select(r => r.Offset));
        // The node asked may learn of the last restarted member's Up a gossip round after that member itself did.
        await Eventually.TrueAsync(async () => (await admin.ClusterStatusAsync()).Members.Count(m => m.Status == "Up") == 3,
            "all three members Up in the cluster status", TimeSpan.FromSeconds(20));
    }
}
