using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Platform.Actors;
using Platform.Client;
using Platform.Client.Streams;
using Xunit.Abstractions;

namespace Platform.Specs.Streams;

/// <summary>
/// The consumer sources against a real node over remoting: what they emit, that they read only on demand
/// (plus the configured prefetch), commits through the committer, Shutdown, and typed failures.
/// </summary>
public sealed class ConsumerSourceSpecs(StreamsNode node, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(StreamsNode.ClientConfig, output: output), IClassFixture<StreamsNode>
{

    private ConsumerSettings Settings => ConsumerSettings.Create(Sys).WithBootstrapServers(node.Endpoint).WithAutoOffsetReset(AutoOffsetReset.Earliest);

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PlainSource_emits_an_assigned_partition_in_offset_order_as_requested()
    {
        var topic = await node.CreateTopicAsync("plain", 1);
        await node.ProduceAsync(topic, 50);
        var probe = PlatformConsumer.PlainSource(Settings, Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(topic, 0, 10)))
            .Select(r => (r.Offset, StreamsNode.Text(r.Value)))
            .RunWith(this.SinkProbe<(long, string)>(), Sys.Materializer());
        probe.Request(5);
        for (var i = 10; i < 15; i++) Assert.Equal((i, $"v{i}"), await probe.ExpectNextAsync(Wait));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        probe.Cancel();
    }
}
