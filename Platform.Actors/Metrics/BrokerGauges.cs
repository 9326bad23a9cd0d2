using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Platform.Actors.Kafka;

namespace Platform.Actors.Metrics;

/// <summary>
/// The observable instruments of a node: they read the node's state at scrape time (the listener's connections,
/// cluster membership) or the <see cref="BrokerSampler"/>'s latest sample (partitions, groups, lag). Names follow
/// Kafka's JMX exporter, and kafka-exporter's for consumer groups (<c>kafka_consumergroup_lag</c>), so existing
/// dashboards and alerts apply.
/// </summary>
internal static class BrokerGauges
{
    public static void Register(Meter meter, ActorSystem system, KafkaListener kafka, BrokerSampler sampler)
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
