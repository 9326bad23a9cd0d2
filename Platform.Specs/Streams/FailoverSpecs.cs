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
        await using var first = await KafkaProxy.StartAsync(Node.Node);
        await using var second = await KafkaProxy.StartAsync(Node.Node);
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
    public async Task A_group_member_whose_node_goes_away_rejoins_through_the_next_server_and_loses_nothing()
    {
        var topic = await Node.CreateTopicAsync("fo-group", 2);
        await Node.ProduceAsync(topic, 500);
        await using var first = await KafkaProxy.StartAsync(Node.Node);
        await using var second = await KafkaProxy.StartAsync(Node.Node);
        var group = Group();
        var settings = Consumer.WithBootstrapServers($"{first.Endpoint},{second.Endpoint}").WithGroupId(group)
            .WithRequestTimeout(RequestTimeout).WithRetryBackoff(TimeSpan.FromMilliseconds(100));
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var control = PlatformConsumer.CommittableSource(settings, Subscriptions.Topics(topic))
            .Select(m =>
            {
                seen.AddOrUpdate(StreamsNode.Text(m.Record.Value), 1, (_, n) => n + 1);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(Sys)), Akka.Streams.Dsl.Keep.Both)
            .Run(Materializer);
        await AwaitConditionAsync(() => Task.FromResult(seen.Count == 500), Wait);

        await first.StopAsync();
        await Node.ProduceAsync(topic, 500, from: 500);
        await AwaitConditionAsync(() => Task.FromResult(seen.Count == 1000), TimeSpan.FromSeconds(30));
        await control.Item1.DrainAndShutdown(control.Item2);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => $"v{i}").ToHashSet(), seen.Keys.ToHashSet());
        Assert.True(second.FetchedRecords > 0, "the rest came through the second server");
        Output.WriteLine($"records delivered twice after the failover: {seen.Values.Count(n => n > 1)}");
        for (var p = 0; p < 2; p++)
            Assert.Equal((await Node.Admin.DescribeTopicAsync(topic)).Partitions[p].HighWatermark, await Node.CommittedAsync(group, topic, p));
    }

    [Fact]
    public async Task A_sink_whose_node_goes_away_sends_again_through_the_next_bootstrap_server()
    {
        var topic = await Node.CreateTopicAsync("fo-sink", 2);
        await using var first = await KafkaProxy.StartAsync(Node.Node);
        await using var second = await KafkaProxy.StartAsync(Node.Node);
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
