using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Platform.Client;
using Platform.Client.Streams;
using Xunit.Abstractions;

namespace Platform.Specs.Streams;

/// <summary>
/// A node that goes away in the middle of a stream: two stand-in nodes (gateway proxies) in front of the
/// real one; the first is shut down mid-stream and the stages carry on through the second.
/// </summary>
public sealed class FailoverSpecs(StreamsNode node, ITestOutputHelper output) : StreamsSpec(node, output)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_source_whose_node_goes_away_continues_through_the_next_bootstrap_server_without_a_gap()
    {
        var topic = await Node.CreateTopicAsync("fo-source", 1);
        await Node.ProduceAsync(topic, 1000, partition: 0, valueBytes: 200); // many batches, fetched one at a time below
        await using var first = await GatewayProxy.StartAsync(Node.Node);
        await using var second = await GatewayProxy.StartAsync(Node.Node);
        var settings = Consumer.WithBootstrapServers($"{first.Endpoint},{second.Endpoint}").WithRequestTimeout(RequestTimeout)
            .WithRetryBackoff(TimeSpan.FromMilliseconds(100)).WithMaxPollRecords(50).WithMaxPartitionFetchBytes(1024);
        var probe = PlatformConsumer.PlainSource(settings, Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .Select(r => r.Offset)
            .RunWith(this.SinkProbe<long>(), Materializer);
        probe.Request(100);
        for (var i = 0; i < 100; i++) Assert.Equal(i, await probe.ExpectNextAsync(Wait));

        await first.StopAsync();
        probe.Request(900);
        for (var i = 100; i < 1000; i++) Assert.Equal(i, await probe.ExpectNextAsync(Wait));
        Assert.True(second.FetchedRecords > 0, "the rest came through the second server");
        probe.Cancel();
    }

    [Fact]
    public async Task A_sink_whose_node_goes_away_sends_again_through_the_next_bootstrap_server()
    {
        var topic = await Node.CreateTopicAsync("fo-sink", 2);
        await using var first = await GatewayProxy.StartAsync(Node.Node);
        await using var second = await GatewayProxy.StartAsync(Node.Node);
        var settings = Producer.WithBootstrapServers($"{first.Endpoint},{second.Endpoint}").WithRequestTimeout(RequestTimeout)
            .WithRetryBackoff(TimeSpan.FromMilliseconds(100));
        var (publisher, done) = this.SourceProbe<ProducerRecord>()
            .ToMaterialized(PlatformProducer.PlainSink(settings), Keep.Both)
            .Run(Materializer);
        for (var i = 0; i < 500; i++) await publisher.SendNextAsync(new ProducerRecord(topic, $"k{i}", $"r{i}"));
        await AwaitRecordsAsync(topic, 500);
        Assert.Equal(0, second.Produces);

        await first.StopAsync();
        for (var i = 500; i < 1000; i++) await publisher.SendNextAsync(new ProducerRecord(topic, $"k{i}", $"r{i}"));
        await publisher.SendCompleteAsync();
        await done.WaitAsync(TimeSpan.FromSeconds(20));
        var values = (await Node.ReadAllAsync(topic)).Select(r => StreamsNode.Text(r.Value)).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"r{i}").ToHashSet(), values);
        Assert.True(second.Produces > 0, "the rest went through the second server");
    }
}
