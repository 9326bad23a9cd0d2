using System.Collections.Immutable;
using Akka.Event;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Actors.Metrics;
using Platform.Protocol.Messages;
using Platform.Specs.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.Http;

/// <summary>
/// The journal, tail-cache, rebalance, offline-partition and split-brain metrics of a real node, scraped from
/// /metrics after a known workload and checked by value.
/// </summary>
public sealed class BrokerMetricsSpecs
{
    private const string Topic = "journaled";

    [Fact]
    public async Task Journal_writes_tail_cache_reads_and_rebalances_are_counted_as_they_happened()
    {
        // A partition's tail holds at most one of the batches below, so a fetch from offset 0 must read the journal.
        await using var node = await TestNode.StartAsync(extraHocon: "platform.tail-cache.max-bytes-per-partition = 1500");
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build())
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 1 }]);
        var value = new string('v', 100);
        for (var batch = 0; batch < 3; batch++) await KafkaRequests.ProduceAsync(node.KafkaEndpoint, Topic, 0, Enumerable.Repeat(value, 10).ToList());

        await using (var connection = await RawKafkaConnection.ConnectAsync(node.KafkaEndpoint))
        {
            foreach (var offset in new[] { 0L, 20L }) // the first below the tail (a miss), the second in it (a hit)
            {
                var response = await connection.RoundTripAsync(ApiKey.Fetch, 12, KafkaRequests.Fetch(Topic, 0, offset), FetchResponse.Read);
                Assert.NotEmpty(response.Responses.Single().Partitions.Single().Records?.ToArray() ?? []);
            }
        }

        var metrics = await OperatorEndpointSpecs.ScrapeAsync(node);
        Assert.Equal(3, metrics["kafka_log_logflushstats_logflushrateandtime_seconds_count"]);
        Assert.InRange(metrics["kafka_log_logflushstats_logflushrateandtime_seconds_sum"], 1e-6, 30);
        Assert.Equal(3, metrics["platform_journal_write_batch_records_count"]);
        Assert.Equal(30, metrics["platform_journal_write_batch_records_sum"]);
        Assert.Equal(3, metrics["platform_journal_write_batch_records_bucket{le=\"10\"}"]);
        Assert.Equal(0, metrics["platform_journal_write_batch_records_bucket{le=\"5\"}"]);
        Assert.InRange(metrics["platform_journal_write_batch_bytes_sum"], 3 * 1000, 3 * 1500);
        Assert.Equal(1, metrics["platform_tail_cache_hits_total"]);
        Assert.Equal(1, metrics["platform_tail_cache_misses_total"]);
        Assert.Equal(0.5, metrics["platform_tail_cache_hit_ratio"]);
        Assert.InRange(metrics["platform_tail_cache_bytes"], 1000, 1500); // the newest batch only
        Assert.Equal(64 * 1024 * 1024, metrics["platform_tail_cache_max_bytes"]);
        Assert.Equal(0, metrics["kafka_controller_kafkacontroller_offlinepartitionscount"]);

        // One consumer joins a group: one rebalance (Empty -> PreparingRebalance -> ... -> Stable).
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = node.KafkaEndpoint, GroupId = "rebalanced", AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(Topic);
        await Eventually.TrueAsync(() => consumer.Consume(TimeSpan.FromMilliseconds(200)) is not null, "the consumer gets a record");
        var afterJoin = await OperatorEndpointSpecs.ScrapeAsync(node);
        Assert.Equal(1, afterJoin["kafka_coordinator_group_rebalances_total{consumergroup=\"rebalanced\"}"]);
        consumer.Close();
    }

    [Fact]
    public async Task A_split_brain_resolver_decision_is_counted_by_its_name()
    {
        await using var node = await TestNode.StartAsync();
        // Once the observer answers an Identify, its PreStart has run: it is subscribed to the event stream.
        await node.System.ActorSelection("/user/split-brain-observer").ResolveOne(TimeSpan.FromSeconds(10));
        // The warning as Akka.NET's resolver logs it (Akka.Cluster.SBR.SplitBrainResolver.ObserveDecision): no
        // test can make a one-node cluster split, and the event stream is where the resolver's decision shows.
        node.System.EventStream.Publish(new Warning("akka://platform/system/cluster/core/daemon/downingProvider", typeof(SplitBrainObserver),
            "SBR took decision DownUnreachable and is downing [akka.tcp://platform@127.0.0.1:9193], [1] unreachable of [3] members, full reachability status: []"));
        await Eventually.TrueAsync(async () => (await OperatorEndpointSpecs.ScrapeAsync(node))
            .GetValueOrDefault("platform_cluster_sbr_decisions_total{decision=\"DownUnreachable\"}") == 1, "the decision is counted");
    }
}

/// <summary>The offline-partition count and the resolver's decision names, on their own.</summary>
public sealed class BrokerMetricsUnitSpecs
{
    [Fact]
    public void Partitions_whose_shard_lost_its_live_home_are_offline_and_shards_never_placed_are_not()
    {
        var topic = new Platform.Actors.Topics.TopicInfo("t", Guid.Parse("6f1c1f53-4d5e-4c1e-9a53-0d2b8e7f4a10"), 4, new Platform.Actors.Topics.TopicConfig(-1, -1, 1_000_000, "delete"));
        const int shards = 100;
        string ShardOf(int p) => Platform.Actors.Partitions.PartitionEntity.ShardOf(Platform.Actors.Partitions.PartitionEntity.EntityId(topic.TopicId, p), shards)
            .ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (a, b) = (new Akka.Actor.Address("akka.tcp", "platform", "a", 1), new Akka.Actor.Address("akka.tcp", "platform", "b", 1));
        var placement = new Platform.Actors.Kafka.Placement();
        Akka.Cluster.Sharding.ClusterShardingStats Stats(params (Akka.Actor.Address Home, int Partition)[] homes) => new(homes.GroupBy(h => h.Home)
            .ToImmutableDictionary(g => g.Key, g => new Akka.Cluster.Sharding.ShardRegionStats(g.Select(h => ShardOf(h.Partition)).Distinct()
                .ToImmutableDictionary(s => s, _ => 1), ImmutableHashSet<string>.Empty)));
        var onlyA = (Func<Akka.Actor.Address, bool>)(address => address == a);

        Assert.Equal(0, UnderServedPartitions.Count([topic], placement, shards, onlyA)); // nothing placed yet
        placement.Update(true, Stats((a, 0), (b, 1)));
        var offline = Enumerable.Range(0, 4).Count(p => ShardOf(p) == ShardOf(1) && ShardOf(p) != ShardOf(0));
        Assert.True(offline >= 1, "partitions 0 and 1 of the fixed topic id sit in different shards");
        Assert.Equal(offline, UnderServedPartitions.Count([topic], placement, shards, onlyA)); // b is not live
        placement.Update(true, Stats((a, 0))); // b is gone from the statistics: its shard has no home at all
        Assert.Equal(offline, UnderServedPartitions.Count([topic], placement, shards, onlyA));
        placement.Update(true, Stats((a, 0), (a, 1))); // the shard is placed again, on a live member
        Assert.Equal(0, UnderServedPartitions.Count([topic], placement, shards, onlyA));
    }

    [Theory]
    [InlineData("SBR took decision DownUnreachable and is downing [akka.tcp://p@h:1], [1] unreachable of [3] members", "DownUnreachable")]
    [InlineData("SBR took decision Akka.Cluster.SBR.DownReachable and is downing [a] including myself, , [1] unreachable", "DownReachable")]
    [InlineData("SBR took decision DownIndirectlyConnected, and is downing", "DownIndirectlyConnected")]
    [InlineData("Cluster Node [akka.tcp://p@h:1] - Marking node as UNREACHABLE", null)]
    public void The_resolver_s_decision_is_read_from_its_warning(string message, string? decision) =>
        Assert.Equal(decision, SplitBrainObserver.Decision(new Warning("sbr", typeof(BrokerMetricsUnitSpecs), message)));
}
