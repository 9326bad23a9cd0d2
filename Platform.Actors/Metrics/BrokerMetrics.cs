using System.Diagnostics;
using System.Diagnostics.Metrics;
using Platform.Protocol.Messages;

namespace Platform.Actors.Metrics;

/// <summary>
/// A node's own <see cref="System.Diagnostics.Metrics.Meter"/> and the instruments its Kafka handlers record
/// into. One per node, never static: specs run several nodes in one process, and each node's /metrics must show
/// its own numbers. Names follow the JMX exporter's spelling of Kafka's broker metrics, so dashboards and
/// alerts written for Kafka read ours (the exporter adds <c>_total</c> to counters and <c>_seconds</c> to the latency histogram).
/// </summary>
internal sealed class BrokerMetrics : IDisposable
{
    public const string MeterName = "Platform.Broker";

    private readonly Counter<long> _messagesIn;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _requestTime;

    public BrokerMetrics()
    {
        Meter = new Meter(MeterName);
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
    }

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

    public void Dispose() => Meter.Dispose();
}
