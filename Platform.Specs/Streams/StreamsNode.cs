using Akka.Configuration;
using Platform.Actors.Hosting;
using Platform.Client;
using Platform.Specs.Support;

namespace Platform.Specs.Streams;

/// <summary>
/// One real node shared by a stream spec class (group rebalances tuned short), with an admin connection of
/// its own and the helpers the specs share: unique topics, bulk produce, read everything back, committed offsets.
/// </summary>
public sealed class StreamsNode : IAsyncLifetime
{
    private const string NodeHocon = """
        platform.group.initial-rebalance-delay = 200ms
        platform.group.min-session-timeout = 500ms
        """;

    private int _topics;

    public PlatformNode Node { get; private set; } = null!;

    public PlatformConnection Connection { get; private set; } = null!;

    public PlatformAdmin Admin { get; private set; } = null!;

    public string KafkaEndpoint => Node.KafkaEndpoint;

    /// <summary>What the specs' ActorSystems run with: client defaults, fast fetch wake-ups, short group timings.</summary>
    public static Config ClientConfig { get; } = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        platform.client.request-timeout = 10s
        platform.client.consumer.fetch-max-wait = 200ms
        platform.client.consumer.stop-timeout = 5s
        platform.client.consumer.group.heartbeat-interval = 200ms
        platform.client.consumer.group.session-timeout = 5s
        platform.client.consumer.group.rebalance-timeout = 5s
        platform.client.committer.max-interval = 200ms
        """).WithFallback(ClientSettings.DefaultConfig);

    public async Task InitializeAsync()
    {
        Node = await TestNode.StartAsync(TestNode.NewDataDir(), NodeHocon);
        Connection = await PlatformConnection.ConnectAsync(Node.KafkaEndpoint, ClientConfig);
        Admin = new PlatformAdmin(Connection);
    }

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Node.StopAsync();
    }

    public async Task<string> CreateTopicAsync(string prefix, int partitions)
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _topics)}";
        await Admin.CreateTopicAsync(name, partitions);
        await Admin.DescribeTopicAsync(name); // partitions up before the spec's clock runs
        return name;
    }

    /// <summary>Produces values <c>{prefix}{i}</c> for i in [from, from + count), keyed by i (so spread over partitions).</summary>
    public async Task ProduceAsync(string topic, int count, int from = 0, string prefix = "v", int? partition = null, int valueBytes = 0)
    {
        await using var producer = new PlatformProducer(Connection);
        var padding = new string('x', valueBytes);
        var pending = new List<Task>();
        for (var i = from; i < from + count; i++)
        {
            pending.Add(producer.ProduceAsync(topic, new Message(System.Text.Encoding.UTF8.GetBytes($"k{i}"),
                System.Text.Encoding.UTF8.GetBytes($"{prefix}{i}{padding}")), partition));
            if (pending.Count == 20_000)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
    }

    /// <summary>Every record of the topic, up to each partition's high watermark now.</summary>
    public async Task<List<ConsumeResult>> ReadAllAsync(string topic)
    {
        var description = await Admin.DescribeTopicAsync(topic);
        var expected = description.Partitions.Sum(p => p.HighWatermark - p.LogStartOffset);
        await using var consumer = new PlatformConsumer(Connection, AutoOffsetReset.Earliest);
        consumer.Assign(description.Partitions.Select(p => new TopicPartitionOffset(topic, p.Partition, TopicPartitionOffset.Beginning)));
        var records = new List<ConsumeResult>();
        while (records.Count < expected && await consumer.ConsumeAsync(TimeSpan.FromSeconds(10)) is { } record) records.Add(record);
        return records;
    }

    public async Task<long?> CommittedAsync(string group, string topic, int partition)
    {
        var offsets = await Admin.FetchOffsetsAsync(group, [new TopicPartition(topic, partition)]);
        return offsets.FirstOrDefault() is { Offset: >= 0 } o ? o.Offset : null;
    }

    public static string Text(byte[]? bytes) => bytes is null ? "" : System.Text.Encoding.UTF8.GetString(bytes);
}
