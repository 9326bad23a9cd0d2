using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Platform.Actors.Storage;
using Platform.Protocol.Messages;

namespace Platform.Actors.Metrics;

/// <summary>
/// A node's own <see cref="System.Diagnostics.Metrics.Meter"/> and the instruments its Kafka handlers record
/// into. One per node, never static: specs run several nodes in one process, and each node's /metrics must show
/// its own numbers. Names follow the JMX exporter's spelling of Kafka's broker metrics, so dashboards and
/// alerts written for Kafka read ours (the exporter adds <c>_total</c> to counters and <c>_seconds</c> to the latency histogram).
/// An Akka extension of the node's ActorSystem, so partitions and group coordinators reach the node's own meter
/// without static state and without a constructor argument through every Props.
/// </summary>
internal sealed class BrokerMetrics : IDisposable, IExtension
{
    public const string MeterName = "Platform.Broker";

    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _requestTime;
    private readonly Histogram<double> _journalWrite;
    private readonly Histogram<long> _journalWriteBytes;
    private readonly Histogram<long> _journalWriteRecords;
    private readonly Counter<long> _tailHits;
    private readonly Counter<long> _tailMisses;
    private readonly Counter<long> _rebalances;
    private readonly Counter<long> _sbrDecisions;
    private long _tailHitCount;
    private long _tailMissCount;

    public BrokerMetrics(StorageCommits? commits = null, WalCheckpoints? checkpoints = null)
    {
        Meter = new Meter(MeterName);
        if (checkpoints is not null)
        {
            Meter.CreateObservableCounter("platform_wal_checkpoints", () => checkpoints.Passes, null,
                "Checkpoint passes the node ran on the SQLite WAL beside the journal's writer, instead of inside its commits");
            Meter.CreateObservableCounter("platform_wal_checkpoints_complete", () => checkpoints.CompletePasses, null,
                "Of them, passes that found the whole WAL in the database file, so that the next commit starts the log over");
            Meter.CreateObservableGauge("platform_wal_frames", () => checkpoints.WalFrames, null,
                "Frames (pages) in the SQLite WAL at the last checkpoint pass");
        }
        if (commits is not null)
        {
            Meter.CreateObservableCounter("platform_journal_transactions", () => commits.Journal, null,
                "Write transactions (each one fsync) the journal committed to the node's SQLite file: fewer than the batches written when the group commit works");
            Meter.CreateObservableCounter("platform_snapshot_transactions", () => commits.Snapshots, null,
                "Write transactions the snapshot store committed to the node's SQLite file (each holds SQLite's write lock, which the journal then waits for)");
        }
        _messagesIn = Meter.CreateCounter<long>("kafka_server_brokertopicmetrics_messagesin", null,
            "Records appended to the log through this node's Kafka listener, by topic");
        _bytesIn = Meter.CreateCounter<long>("kafka_server_brokertopicmetrics_bytesin", null,
            "Record batch bytes appended through this node's Kafka listener, by topic");
        _bytesOut = Meter.CreateCounter<long>("kafka_server_brokertopicmetrics_bytesout", null,
            "Record batch bytes sent to consumers by this node's Kafka listener, by topic");
        _requests = Meter.CreateCounter<long>("kafka_network_requestmetrics_requests", null,
            "Kafka requests answered by this node, by request type");
        _errors = Meter.CreateCounter<long>("kafka_network_requestmetrics_errors", null,
            "Partition-level errors in Produce and Fetch responses, by request type and Kafka error code");
        _requestTime = Meter.CreateHistogram<double>("kafka_network_requestmetrics_totaltime", "s",
            "Time from a request's arrival to its response being ready, by request type (a Fetch includes its long-poll wait)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        // Kafka's LogFlushRateAndTimeMs is the time to make appended data durable; ours is the journal write.
        _journalWrite = Meter.CreateHistogram<double>("kafka_log_logflushstats_logflushrateandtime", "s",
            "Time from handing a record batch to the journal to its acknowledgement (the write and its commit), per journal event",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _journalWriteBytes = Meter.CreateHistogram<long>("platform_journal_write_batch", "By",
            "Bytes of each record batch written to the journal as one event",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = ByteBuckets });
        _journalWriteRecords = Meter.CreateHistogram<long>("platform_journal_write_batch_records", null,
            "Records in each record batch written to the journal as one event",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = RecordBuckets });
        _tailHits = Meter.CreateCounter<long>("platform_tail_cache_hits", null,
            "Fetches with records served from a partition's in-memory tail");
        _tailMisses = Meter.CreateCounter<long>("platform_tail_cache_misses", null,
            "Fetches below a partition's in-memory tail, read from the journal");
        Meter.CreateObservableGauge("platform_tail_cache_hit_ratio", () =>
            {
                var (hits, misses) = (Interlocked.Read(ref _tailHitCount), Interlocked.Read(ref _tailMissCount));
                return hits + misses == 0 ? 1.0 : (double)hits / (hits + misses);
            }, null,
            "Share of fetches with records that the in-memory tails served, since the node started (1 before any)");
        _rebalances = Meter.CreateCounter<long>("kafka_coordinator_group_rebalances", null,
            "Rebalances started (a group entering PreparingRebalance), per group coordinated by this node");
        _sbrDecisions = Meter.CreateCounter<long>("platform_cluster_sbr_decisions", null,
            "Split-brain resolver decisions taken on this node (it acts as the cluster's leader), by decision");
    }

    /// <summary>Bytes: a tiny batch to the largest Kafka's default max.message.bytes allows.</summary>
    private static readonly long[] ByteBuckets = [128, 512, 1024, 4096, 16384, 65536, 262144, 1048576];

    private static readonly long[] RecordBuckets = [1, 2, 5, 10, 50, 100, 500, 1000, 5000];

    /// <summary>Seconds: from a fast in-memory answer (0.5 ms) to a long-poll fetch's full wait.</summary>
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    public Meter Meter { get; }

    /// <summary>A batch the log acknowledged: its records and bytes count towards the topic's rate in.</summary>
    public void Appended(string topic, int records, int bytes)
    {
        var tag = new KeyValuePair<string, object?>("topic", topic);
        _messagesIn.Add(records, tag);
        _bytesIn.Add(bytes, tag);
    }

    public void Sent(string topic, long bytes)
    {
        if (bytes > 0) _bytesOut.Add(bytes, new KeyValuePair<string, object?>("topic", topic));
    }

    /// <summary>A request answered, with the time since <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void Answered(ApiKey api, long startedTimestamp)
    {
        var tag = new KeyValuePair<string, object?>("request", api.ToString());
        _requests.Add(1, tag);
        _requestTime.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tag);
    }

    public void Failed(ApiKey api, ErrorCode error) =>
        _errors.Add(1, new KeyValuePair<string, object?>("request", api.ToString()), new KeyValuePair<string, object?>("error", error.ToString()));

    /// <summary>Counts a Produce response's partition errors.</summary>
    internal void Responded(ProduceResponse response)
    {
        foreach (var topic in response.Responses)
        foreach (var partition in topic.PartitionResponses)
            if (partition.ErrorCode != 0) Failed(ApiKey.Produce, (ErrorCode)partition.ErrorCode);
    }

    /// <summary>Counts a Fetch response's partition errors and the record bytes it carries per topic.</summary>
    internal void Responded(FetchResponse response)
    {
        foreach (var topic in response.Responses)
        foreach (var partition in topic.Partitions)
        {
            if (partition.ErrorCode != 0) Failed(ApiKey.Fetch, (ErrorCode)partition.ErrorCode);
            Sent(topic.Topic ?? "", partition.Records?.Length ?? 0);
        }
    }

    /// <summary>A record batch the journal acknowledged, <paramref name="startedTimestamp"/> being when it was handed over.</summary>
    public void JournalWritten(long startedTimestamp, int bytes, int records)
    {
        _journalWrite.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
        _journalWriteBytes.Record(bytes);
        _journalWriteRecords.Record(records);
    }

    /// <summary>A fetch with records: served from the in-memory tail (a hit) or from the journal (a miss).</summary>
    public void TailCacheRead(bool hit)
    {
        if (hit)
        {
            Interlocked.Increment(ref _tailHitCount);
            _tailHits.Add(1);
        }
        else
        {
            Interlocked.Increment(ref _tailMissCount);
            _tailMisses.Add(1);
        }
    }

    public void Rebalanced(string groupId, long count) => _rebalances.Add(count, new KeyValuePair<string, object?>("consumergroup", groupId));

    public void SplitBrainDecision(string decision) => _sbrDecisions.Add(1, new KeyValuePair<string, object?>("decision", decision));

    /// <summary>The node's metrics: one per ActorSystem, created with it on first use and disposed with the node.</summary>
    public static BrokerMetrics For(ActorSystem system) => system.WithExtension<BrokerMetrics, BrokerMetricsProvider>();

    public void Dispose() => Meter.Dispose();
}

internal sealed class BrokerMetricsProvider : ExtensionIdProvider<BrokerMetrics>
{
    public override BrokerMetrics CreateExtension(ExtendedActorSystem system) =>
        new(system.Settings.Setup.Get<StorageCommits>().GetOrElse(null!), system.Settings.Setup.Get<WalCheckpoints>().GetOrElse(null!));
}
