using System.Text;
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
/// The producer stages and the committer against a real node: results in order with their offsets,
/// backpressure when the node does not acknowledge, typed failures, batched commits, and the pipeline of
/// the "done when" written out as an application would.
/// </summary>
public sealed class ProducerStageSpecs(StreamsNode node, ITestOutputHelper output) : StreamsSpec(node, output)
{
    [Fact]
    public async Task PlainSink_produces_every_record_keyed_records_to_Kafkas_partition_for_the_key()
    {
        var topic = await Node.CreateTopicAsync("sink", 3);
        await Source.From(Enumerable.Range(0, 1000))
            .Select(i => new ProducerRecord(topic, $"user-{i % 7}", $"e{i}"))
            .RunWith(PlatformProducer.PlainSink(Producer), Materializer)
            .WaitAsync(Wait);
        var records = await Node.ReadAllAsync(topic);
        Assert.Equal(1000, records.Count);
        Assert.All(records, r => Assert.Equal(Murmur2.PartitionForKey(r.Key!, 3), r.Partition));
        foreach (var key in records.GroupBy(r => StreamsNode.Text(r.Key)))
            Assert.Equal(key.Select(r => int.Parse(StreamsNode.Text(r.Value)[1..])).Order(), key.OrderBy(r => r.Offset).Select(r => int.Parse(StreamsNode.Text(r.Value)[1..])));
    }

    [Fact]
    public async Task FlexiFlow_emits_single_multi_and_pass_through_results_in_order_with_their_offsets()
    {
        var topic = await Node.CreateTopicAsync("flexi", 1);
        var (source, sink) = this.SourceProbe<IEnvelope<string>>()
            .Via(PlatformProducer.FlexiFlow<string>(Producer))
            .ToMaterialized(this.SinkProbe<IResults<string>>(), Keep.Both)
            .Run(Materializer);
        sink.Request(3);
        source.SendNext(ProducerMessage.Single(new ProducerRecord(topic, null, "one"), "first"));
        source.SendNext(ProducerMessage.Multi([new ProducerRecord(topic, null, "two"), new ProducerRecord(topic, null, "three")], "second"));
        source.SendNext(ProducerMessage.PassThrough("third"));
        var single = Assert.IsType<Result<string>>(await sink.ExpectNextAsync(Wait));
        Assert.Equal(("first", 0L, "one"), (single.PassThrough, single.Offset, StreamsNode.Text(single.Record.Value)));
        var multi = Assert.IsType<MultiResult<string>>(await sink.ExpectNextAsync(Wait));
        Assert.Equal("second", multi.PassThrough);
        Assert.Equal([1L, 2L], multi.Parts.Select(p => p.Metadata.Offset));
        Assert.Equal("third", Assert.IsType<PassThroughResult<string>>(await sink.ExpectNextAsync(Wait)).PassThrough);
        source.SendComplete();
        await sink.ExpectCompleteAsync();
    }

    [Fact]
    public async Task A_node_that_does_not_acknowledge_stops_the_sink_from_pulling_at_its_parallelism()
    {
        var topic = await Node.CreateTopicAsync("stalled", 1);
        await using var proxy = await KafkaProxy.StartAsync(Node.Node);
        proxy.HoldProduces();
        const int parallelism = 50;
        var settings = Producer.WithBootstrapServers(proxy.Endpoint).WithParallelism(parallelism).WithLinger(TimeSpan.Zero);
        // Input buffers of one element between the probe and the sink, so that every request the probe sees is the sink's own pull.
        var materializer = Sys.Materializer(ActorMaterializerSettings.Create(Sys).WithInputBuffer(1, 1));
        var (publisher, done) = this.SourceProbe<ProducerRecord>()
            .ToMaterialized(PlatformProducer.PlainSink(settings), Keep.Both)
            .Run(materializer);
        var sent = 0;
        // Feed every request; once the node stops acknowledging, requests must stop at the parallelism.
        while (await RequestedWithin(publisher, TimeSpan.FromMilliseconds(500)) is var demand and > 0)
            for (var i = 0; i < demand; i++) publisher.SendNext(new ProducerRecord(topic, null, $"r{sent++}"));
        Output.WriteLine($"records taken while the node held every produce request: {sent} (parallelism {parallelism})");
        Assert.InRange(sent, parallelism, parallelism + 1);

        proxy.Release();
        Assert.True(await RequestedWithin(publisher, TimeSpan.FromSeconds(3)) > 0, "the sink pulls again once acknowledgements arrive");
        publisher.SendComplete();
        await done.WaitAsync(Wait);
        Assert.Equal(sent, (await Node.ReadAllAsync(topic)).Count);
    }

    /// <summary>The demand the publisher probe receives within <paramref name="within"/>; 0 when none comes.</summary>
    private static async Task<long> RequestedWithin(TestPublisher.Probe<ProducerRecord> publisher, TimeSpan within)
    {
        using var cancel = new CancellationTokenSource(within);
        try
        {
            return await publisher.ExpectRequestAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task A_record_too_large_fails_the_stream_with_MessageTooLarge()
    {
        var topic = await Node.CreateTopicAsync("large", 1);
        var done = Source.Single(new ProducerRecord(topic, null, new byte[1_100_000]))
            .RunWith(PlatformProducer.PlainSink(Producer), Materializer);
        var error = await Assert.ThrowsAsync<PlatformException>(() => done.WaitAsync(Wait));
        Assert.Equal(ErrorCode.MessageTooLarge, error.Code);
    }

    [Fact]
    public async Task Producing_to_an_unknown_topic_fails_the_stream_with_UnknownTopicOrPartition()
    {
        var done = Source.Single(new ProducerRecord("no-such-topic", null, "x"))
            .RunWith(PlatformProducer.PlainSink(Producer.WithAllowAutoCreateTopics(false)), Materializer);
        var error = await Assert.ThrowsAsync<PlatformException>(() => done.WaitAsync(Wait));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error.Code);
    }

    [Fact]
    public async Task Committer_Flow_commits_in_batches_of_max_batch_and_flushes_the_rest_when_the_stream_ends()
    {
        var topic = await Node.CreateTopicAsync("batches", 1);
        await Node.ProduceAsync(topic, 10);
        var group = Group();
        var committer = CommitterSettings.Create(Sys).WithMaxBatch(4).WithMaxInterval(TimeSpan.FromHours(1));
        var batches = await PlatformConsumer.CommittableSource(Consumer.WithGroupId(group), Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .Take(10)
            .Select(m => (ICommittable)m.CommittableOffset)
            .Via(Committer.Flow(committer))
            .RunWith(Sink.Seq<ICommittableOffsetBatch>(), Materializer)
            .WaitAsync(Wait);
        Assert.Equal([4L, 4L, 2L], batches.Select(b => b.BatchSize));
        Assert.Equal([3L, 7L, 9L], batches.Select(b => b.Offsets.Single().Value));
        Assert.Equal(10, await Node.CommittedAsync(group, topic, 0));
    }

    [Fact]
    public async Task Committer_Flow_commits_a_partial_batch_once_max_interval_has_passed()
    {
        var topic = await Node.CreateTopicAsync("interval", 1);
        await Node.ProduceAsync(topic, 3);
        var group = Group();
        var offsets = await PlatformConsumer.CommittableSource(Consumer.WithGroupId(group), Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .Take(3)
            .Select(m => m.CommittableOffset)
            .RunWith(Sink.Seq<ICommittableOffset>(), Materializer)
            .WaitAsync(Wait);
        var committer = CommitterSettings.Create(Sys).WithMaxBatch(1000).WithMaxInterval(TimeSpan.FromMilliseconds(300));
        var (publisher, batches) = this.SourceProbe<ICommittableOffset>()
            .Via(Committer.Flow<ICommittableOffset>(committer))
            .ToMaterialized(this.SinkProbe<ICommittableOffsetBatch>(), Keep.Both)
            .Run(Materializer);
        batches.Request(1);
        foreach (var offset in offsets) publisher.SendNext(offset);
        var batch = await batches.ExpectNextAsync(TimeSpan.FromSeconds(5)); // the stream is still open: the interval did it
        Assert.Equal(3, batch.BatchSize);
        Assert.Equal(3, await Node.CommittedAsync(group, topic, 0));
        publisher.SendComplete();
        await batches.ExpectCompleteAsync();
    }

    [Fact]
    public async Task CommittableSink_produces_and_commits_in_one()
    {
        var input = await Node.CreateTopicAsync("cs-in", 2);
        var outputTopic = await Node.CreateTopicAsync("cs-out", 2);
        await Node.ProduceAsync(input, 300);
        var group = Group();
        var (control, done) = PlatformConsumer.CommittableSource(Consumer.WithGroupId(group), Subscriptions.Topics(input))
            .Select(m => ProducerMessage.Single(new ProducerRecord(outputTopic, m.Record.Key, m.Record.Value), m.CommittableOffset))
            .ToMaterialized(PlatformProducer.CommittableSink(Producer, CommitterSettings.Create(Sys)), Keep.Both)
            .Run(Materializer);
        await AwaitRecordsAsync(outputTopic, 300);
        await control.DrainAndShutdown(done);
        Assert.Equal(300, (await Node.ReadAllAsync(outputTopic)).Select(r => StreamsNode.Text(r.Value)).Distinct().Count());
        foreach (var partition in (await Node.Admin.DescribeTopicAsync(input)).Partitions)
            Assert.Equal(partition.HighWatermark, await Node.CommittedAsync(group, input, partition.Partition));
    }

    [Fact]
    public async Task CommittableSink_takes_envelopes_from_a_probe_produces_them_and_commits_their_offsets()
    {
        var input = await Node.CreateTopicAsync("cs-probe-in", 1);
        var outputTopic = await Node.CreateTopicAsync("cs-probe-out", 1);
        await Node.ProduceAsync(input, 5, partition: 0);
        var group = Group();
        var messages = await PlatformConsumer.CommittableSource(Consumer.WithGroupId(group), Subscriptions.Assignment(new TopicPartition(input, 0)))
            .Take(5)
            .RunWith(Sink.Seq<CommittableMessage>(), Materializer)
            .WaitAsync(Wait);
        var (publisher, done) = this.SourceProbe<IEnvelope<ICommittable>>()
            .ToMaterialized(PlatformProducer.CommittableSink(Producer, CommitterSettings.Create(Sys)), Keep.Both)
            .Run(Materializer);
        foreach (var m in messages)
            await publisher.SendNextAsync(ProducerMessage.Single(new ProducerRecord(outputTopic, m.Record.Key, m.Record.Value), m.CommittableOffset));
        await publisher.SendCompleteAsync();
        await done.WaitAsync(Wait);
        Assert.Equal(5, (await Node.ReadAllAsync(outputTopic)).Count);
        Assert.Equal(5, await Node.CommittedAsync(group, input, 0));
    }

    [Fact]
    public async Task The_at_least_once_pipeline_reads_transforms_writes_and_commits()
    {
        var input = await Node.CreateTopicAsync("in", 3);
        var outputTopic = await Node.CreateTopicAsync("out", 3);
        await Node.ProduceAsync(input, 500);
        var settings = Consumer.WithGroupId(Group());
        var producerSettings = Producer;
        var committerSettings = CommitterSettings.Create(Sys);

        // As an application writes it (the "done when").
        var control = PlatformConsumer.CommittableSource(settings, Subscriptions.Topics(input))
            .Select(msg => ProducerMessage.Single(new ProducerRecord(outputTopic, msg.Record.Key, Encoding.UTF8.GetBytes(StreamsNode.Text(msg.Record.Value).ToUpperInvariant())),
                msg.CommittableOffset))
            .Via(PlatformProducer.FlexiFlow(producerSettings))
            .Select(r => r.PassThrough)
            .ToMaterialized(Committer.Sink(committerSettings), DrainingControl<Done>.Create)
            .Run(Materializer);

        await AwaitRecordsAsync(outputTopic, 500);
        Assert.Equal(Done.Instance, await control.DrainAndShutdown());
        var written = (await Node.ReadAllAsync(outputTopic)).Select(r => StreamsNode.Text(r.Value)).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"V{i}").ToHashSet(), written);
    }
}
