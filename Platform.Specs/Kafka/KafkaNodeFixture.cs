using Akka.Actor;
using Confluent.Kafka;
using Platform.Actors.Hosting;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// One real node with its Kafka listener on a free loopback port, shared by a spec class, for specs that
/// drive it with unmodified Kafka clients (Confluent.Kafka / librdkafka, kcat, kafka-python). A subclass
/// may pass HOCON of its own (e.g. a shorter initial rebalance delay).
/// </summary>
public class KafkaNodeFixture : IAsyncLifetime
{
    private readonly string? _extraHocon;

    public KafkaNodeFixture()
        : this(null)
    {
    }

    /// <param name="extraHocon">Settings over the spec defaults, e.g. a lower socket-request-max-bytes.</param>
    protected KafkaNodeFixture(string? extraHocon) => _extraHocon = extraHocon;

    public PlatformNode Node { get; private set; } = null!;

    /// <summary>host:port of the Kafka listener: what a Kafka client takes as bootstrap.servers.</summary>
    public string Bootstrap => Node.KafkaEndpoint;

    public async Task InitializeAsync() => Node = await TestNode.StartAsync(extraHocon: _extraHocon);

    public async Task DisposeAsync() => await Node.StopAsync();

    public AdminClientConfig AdminConfig() => new() { BootstrapServers = Bootstrap };

    public ProducerConfig ProducerConfig() => new()
    {
        BootstrapServers = Bootstrap,
        Acks = Acks.All,
        EnableIdempotence = false,
        LingerMs = 5,
        MessageTimeoutMs = 30000,
    };

    public ConsumerConfig ConsumerConfig(string? groupId = null) => new()
    {
        BootstrapServers = Bootstrap,
        GroupId = groupId ?? "spec-" + Guid.NewGuid().ToString("N"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
    };

    /// <summary>Creates a topic through the node's topic registry (independent of the Kafka admin API under test).</summary>
    public async Task CreateTopicAsync(string name, int partitions)
    {
        var result = await Node.Registry.Ask<Platform.Actors.Topics.TopicCommandResult>(
            new Platform.Actors.Topics.CreateTopic(name, partitions, new Dictionary<string, string>()), TimeSpan.FromSeconds(10));
        Assert.Equal(Platform.Protocol.ErrorCode.None, result.Error);
    }
}
