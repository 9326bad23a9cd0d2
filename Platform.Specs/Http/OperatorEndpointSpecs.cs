using System.Globalization;
using System.Net;
using System.Text.Json;
using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Platform.Actors.Hosting;
using Platform.Protocol.Messages;
using Platform.Specs.Kafka;
using Platform.Specs.Support;

namespace Platform.Specs.Http;

/// <summary>
/// A real node's HTTP endpoint, driven over HTTP: health checks, and /metrics after a known workload of an
/// unmodified Kafka client (Confluent.Kafka / librdkafka), checked by value.
/// </summary>
public sealed class OperatorEndpointSpecs
{
    internal static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    [Fact]
    public async Task A_healthy_node_is_live_and_ready_with_every_check_passed()
    {
        await using var node = await TestNode.StartAsync();
        var live = await Http.GetAsync($"{node.HttpEndpoint}/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        var (_, body) = await Eventually.ValueAsync(() => ReadyAsync(node), r => r.Status == HttpStatusCode.OK, "the node is ready");
        Assert.Equal("ready", body.GetProperty("status").GetString());
        var checks = body.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.Equal(["cluster", "kafka-listener", "storage", "topic-registry"], checks.Keys.Order());
        Assert.All(checks.Values, c => Assert.Equal("ok", c.GetProperty("status").GetString()));
        Assert.Contains("acknowledged", checks["storage"].GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"{node.HttpEndpoint}/nothing")).StatusCode);
    }

    [Fact]
    public async Task Metrics_show_the_values_of_a_known_workload()
    {
        await using var node = await TestNode.StartAsync();
        const string topic = "metered";
        await CreateTopicAsync(node, topic, 2);
        var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = node.KafkaEndpoint, Acks = Acks.All, LingerMs = 5 }).Build();
        using (producer)
        {
            for (var i = 0; i < 30; i++) producer.Produce(new TopicPartition(topic, 0), new Message<string, string> { Key = $"k{i}", Value = $"value-{i}" });
            for (var i = 0; i < 20; i++) producer.Produce(new TopicPartition(topic, 1), new Message<string, string> { Key = $"k{i}", Value = $"value-{i}" });
            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }
        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
               {
                   BootstrapServers = node.KafkaEndpoint, GroupId = "metered-group", EnableAutoCommit = false,
               }).Build())
        {
            consumer.Commit([new TopicPartitionOffset(topic, 0, 10), new TopicPartitionOffset(topic, 1, 5)]);
        }
        // One partition-level error of a known code: a produce to a partition the topic does not have.
        // Its connection stays open over the scrape, so the node has at least one client connection to show.
        using var raw = await RawKafkaClient.ConnectAsync(node.KafkaEndpoint);
        var response = await raw.SendAsync(ApiKey.Produce, 9, KafkaRequests.Produce(topic, 7, KafkaRequests.Batch(["x"])),
            ProduceRequest.HeaderVersion, ProduceResponse.HeaderVersion, ProduceResponse.Read);
        Assert.Equal((short)Platform.Protocol.ErrorCode.UnknownTopicOrPartition, response.Responses[0].PartitionResponses[0].ErrorCode);

        var metrics = await ScrapeAsync(node);
        Assert.Equal(30 + 20, metrics[$"kafka_server_brokertopicmetrics_messagesin_total{{topic=\"{topic}\"}}"]);
        Assert.True(metrics[$"kafka_server_brokertopicmetrics_bytesin_total{{topic=\"{topic}\"}}"] > 50 * "value-0".Length);
        var produces = metrics["kafka_network_requestmetrics_requests_total{request=\"Produce\"}"];
        Assert.InRange(produces, 3, 50 + 1); // librdkafka batches by partition; plus the raw request
        Assert.Equal(produces, metrics["kafka_network_requestmetrics_totaltime_seconds_count{request=\"Produce\"}"]);
        Assert.Equal(produces, metrics["kafka_network_requestmetrics_totaltime_seconds_bucket{request=\"Produce\",le=\"+Inf\"}"]);
        Assert.Equal(1, metrics["kafka_network_requestmetrics_errors_total{error=\"UnknownTopicOrPartition\",request=\"Produce\"}"]);
        Assert.Equal(2, metrics["kafka_server_replicamanager_partitioncount"]);
        Assert.Equal(30, metrics[$"kafka_log_log_logendoffset{{partition=\"0\",topic=\"{topic}\"}}"]);
        Assert.Equal(20, metrics[$"kafka_log_log_logendoffset{{partition=\"1\",topic=\"{topic}\"}}"]);
        Assert.Equal(0, metrics[$"kafka_log_log_logstartoffset{{partition=\"0\",topic=\"{topic}\"}}"]);
        Assert.Equal(30 - 10, metrics[$"kafka_consumergroup_lag{{consumergroup=\"metered-group\",partition=\"0\",topic=\"{topic}\"}}"]);
        Assert.Equal(20 - 5, metrics[$"kafka_consumergroup_lag{{consumergroup=\"metered-group\",partition=\"1\",topic=\"{topic}\"}}"]);
        Assert.Equal(35, metrics["kafka_consumergroup_lag_sum{consumergroup=\"metered-group\"}"]);
        Assert.Equal(0, metrics["kafka_consumergroup_members{consumergroup=\"metered-group\",state=\"Empty\"}"]);
        Assert.Equal(1, metrics["platform_cluster_members{status=\"Up\"}"]);
        Assert.Equal(0, metrics["platform_cluster_unreachable_members"]);
        Assert.True(metrics["kafka_server_socketservermetrics_connection_count"] >= 1);
        Assert.Contains(metrics.Keys, k => k.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal));
        Assert.Contains(metrics.Keys, k => k.StartsWith("dotnet_process_memory_working_set_bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Per_partition_series_are_left_out_above_the_configured_partition_count()
    {
        await using var node = await TestNode.StartAsync(extraHocon: "platform.http.metrics.max-partition-series = 2");
        await CreateTopicAsync(node, "wide", 3);
        await KafkaRequests.ProduceAsync(node.KafkaEndpoint, "wide", 0, ["a", "b"]);

        var metrics = await ScrapeAsync(node);
        Assert.Equal(3, metrics["kafka_server_replicamanager_partitioncount"]);
        Assert.DoesNotContain(metrics.Keys, k => k.StartsWith("kafka_log_log_logendoffset{", StringComparison.Ordinal));
        Assert.Equal(2, metrics["kafka_server_brokertopicmetrics_messagesin_total{topic=\"wide\"}"]);
    }

    private static async Task CreateTopicAsync(PlatformNode node, string name, int partitions)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = node.KafkaEndpoint }).Build();
        await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification { Name = name, NumPartitions = partitions }]);
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(PlatformNode node)
    {
        var response = await Http.GetAsync($"{node.HttpEndpoint}/health/ready");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body);
    }

    /// <summary>GET /metrics as series name with labels to value; comment lines checked for a HELP and TYPE per name.</summary>
    internal static async Task<Dictionary<string, double>> ScrapeAsync(PlatformNode node)
    {
        var response = await Http.GetAsync($"{node.HttpEndpoint}/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith('#')) continue;
            var space = line.LastIndexOf(' ');
            series.Add(line[..space], double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
        }
        return series;
    }
}
