using Akka.Streams;
using Platform.Client;
using Platform.Client.Streams;
using Xunit.Abstractions;

namespace Platform.Specs.Streams;

/// <summary>What the stream specs share: a TestKit whose ActorSystem talks to the class's node, and settings pointing at it.</summary>
public abstract class StreamsSpec(StreamsNode node, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(StreamsNode.ClientConfig, output: output), IClassFixture<StreamsNode>
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    protected StreamsNode Node { get; } = node;

    protected ProducerSettings Producer => ProducerSettings.Create(Sys).WithBootstrapServers(Node.KafkaEndpoint);

    protected ConsumerSettings Consumer =>
        ConsumerSettings.Create(Sys).WithBootstrapServers(Node.KafkaEndpoint).WithAutoOffsetReset(AutoOffsetReset.Earliest);

    protected IMaterializer Materializer => Sys.Materializer();

    protected static string Group() => $"group-{Guid.NewGuid():N}"[..14];

    /// <summary>Waits until the topic's partitions hold at least <paramref name="records"/> records in all.</summary>
    protected Task AwaitRecordsAsync(string topic, long records) =>
        AwaitConditionAsync(async () => (await Node.Admin.DescribeTopicAsync(topic)).Partitions.Sum(p => p.HighWatermark) >= records, Wait);
}
