using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Platform.Actors.Kafka;
using Platform.Actors.Log;

namespace Platform.Actors.Metrics;

/// <summary>
/// The observable instruments of a node: they read the node's state at scrape time (the listener's connections,
/// cluster membership) or the <see cref="BrokerSampler"/>'s latest sample (partitions, groups, lag). Names follow
/// Kafka's JMX exporter, and kafka-exporter's for consumer groups (<c>kafka_consumergroup_lag</c>), so existing
/// dashboards and alerts apply.
/// </summary>
internal static class BrokerGauges
{
    public static void Register(Meter meter, ActorSystem system, KafkaListener kafka, BrokerSampler sampler, TopicCache topics, Placement placement,
        int partitionShards)
    {
        meter.CreateObservableGauge("kafka_server_socketservermetrics_connection_count", () => kafka.ConnectionCount, null,
            "Kafka client connections open on this node");
        meter.CreateObservableGauge("kafka_server_replicamanager_partitioncount", () => sampler.Latest.HostedPartitions, null,
            "Partitions hosted (led) by this node");
        meter.CreateObservableGauge("kafka_log_log_logstartoffset", () => PerPartition(sampler, p => p.LogStartOffset), null,
            "First offset of each partition hosted on this node (off above platform.http.metrics.max-partition-series)");
        meter.CreateObservableGauge("kafka_log_log_logendoffset", () => PerPartition(sampler, p => p.LogEndOffset), null,
            "Log end offset (high watermark) of each partition hosted on this node (off above platform.http.metrics.max-partition-series)");
        meter.CreateObservableGauge("kafka_log_log_size", () => PerPartition(sampler, p => p.SizeBytes), null,
            "Bytes of record batches between log start and log end of each partition hosted on this node");
        meter.CreateObservableGauge("kafka_consumergroup_lag", () => sampler.Latest.Groups.SelectMany(g => g.Lag.Select(l =>
                new Measurement<long>(l.Lag, Tag("consumergroup", g.GroupId), Tag("topic", l.Topic), Tag("partition", l.Partition)))), null,
            "Log end offset minus committed offset, per group (coordinated by this node) and partition");
        meter.CreateObservableGauge("kafka_consumergroup_lag_sum", () => sampler.Latest.Groups.Select(g =>
                new Measurement<long>(g.LagSum, Tag("consumergroup", g.GroupId))), null,
            "Total lag of each group coordinated by this node over its committed partitions");
        meter.CreateObservableGauge("kafka_consumergroup_members", () => sampler.Latest.Groups.Select(g =>
                new Measurement<long>(g.Members, Tag("consumergroup", g.GroupId), Tag("state", g.State))), null,
            "Members of each group coordinated by this node, with the group's state");
        var cluster = Cluster.Get(system);
        meter.CreateObservableGauge("platform_cluster_members", () => Members(cluster), null,
            "Cluster members by status, as this node sees them");
        meter.CreateObservableGauge("platform_cluster_unreachable_members", () => cluster.State.Unreachable.Count, null,
            "Members this node's failure detector marks unreachable");
        // As Kafka's controller alone reports offline partitions, only the cluster's leader counts them: a sum over
        // nodes is then the cluster's figure, as for every other series.
        meter.CreateObservableGauge("kafka_controller_kafkacontroller_offlinepartitionscount",
            () => cluster.State.Leader == cluster.SelfAddress ? UnderServedPartitions.Count(topics.All, placement, partitionShards, a => Live(cluster, a)) : 0,
            null, "Partitions whose shard had a home and has no live (Up, reachable) host now; reported by the cluster's leader, 0 elsewhere");
        var budget = TailCacheBudget.For(system);
        meter.CreateObservableGauge("platform_tail_cache", () => budget.UsedBytes, "By",
            "Bytes of record batches held in this node's partitions' in-memory tails");
        meter.CreateObservableGauge("platform_tail_cache_max", () => budget.MaxBytes, "By",
            "The node's budget for in-memory tails (platform.tail-cache.max-bytes)");
    }

    private static bool Live(Cluster cluster, Address address)
    {
        var state = cluster.State;
        return state.Members.Any(m => m.Address == address && m.Status == MemberStatus.Up) && state.Unreachable.All(m => m.Address != address);
    }

    private static IEnumerable<Measurement<long>> PerPartition(BrokerSampler sampler, Func<PartitionSample, long> value) =>
        sampler.Latest.Partitions.Select(p => new Measurement<long>(value(p), Tag("topic", p.Topic), Tag("partition", p.Partition)));

    /// <summary>Every status, zeros included: a series that vanishes cannot be told from a scrape that failed.</summary>
    private static IEnumerable<Measurement<long>> Members(Cluster cluster)
    {
        var members = cluster.State.Members;
        return Enum.GetValues<MemberStatus>().Select(status =>
            new Measurement<long>(members.Count(m => m.Status == status), Tag("status", status.ToString())));
    }

    private static KeyValuePair<string, object?> Tag(string key, object value) => new(key, value);
}
