using System.Collections.Concurrent;
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
public sealed class ConsumerSourceSpecs(StreamsNode node, ITestOutputHelper output) : StreamsSpec(node, output)
{
    [Fact]
    public async Task PlainSource_emits_an_assigned_partition_in_offset_order_as_requested()
    {
        var topic = await Node.CreateTopicAsync("plain", 1);
        await Node.ProduceAsync(topic, 50);
        var probe = PlatformConsumer.PlainSource(Consumer, Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(topic, 0, 10)))
            .Select(r => (r.Offset, StreamsNode.Text(r.Value)))
            .RunWith(this.SinkProbe<(long, string)>(), Materializer);
        probe.Request(5);
        for (var i = 10; i < 15; i++) Assert.Equal((i, $"v{i}"), await probe.ExpectNextAsync(Wait));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        probe.Cancel();
    }

    [Fact]
    public async Task A_slow_sink_stops_fetching_at_what_was_requested_plus_the_prefetch()
    {
        // A topic far larger than the prefetch, read through a proxy that counts what the node sends back.
        var topic = await Node.CreateTopicAsync("slow", 1);
        await Node.ProduceAsync(topic, 20_000, partition: 0, valueBytes: 100);
        await using var proxy = await KafkaProxy.StartAsync(Node.Node);
        const int prefetch = 100;
        var settings = Consumer.WithBootstrapServers(proxy.Endpoint).WithMaxPollRecords(prefetch).WithMaxPartitionFetchBytes(4096);
        var probe = PlatformConsumer.PlainSource(settings, Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .RunWith(this.SinkProbe<ConsumeResult>(), Materializer);

        // One record at a time, as a sink that takes one record per second would; the clock is not the point.
        long requested = 0;
        var bounds = new List<long>();
        for (var round = 0; round < 6; round++)
        {
            probe.Request(5);
            requested += 5;
            for (var i = 0; i < 5; i++) Assert.Equal(requested - 5 + i, (await probe.ExpectNextAsync(Wait)).Offset);
            await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300)); // time for the fetch loop to run ahead, if it would
            bounds.Add(proxy.FetchedRecords - requested);
        }
        var bound = prefetch + proxy.MaxRecordsPerFetch;
        Output.WriteLine($"fetched ahead of demand per round: {string.Join(", ", bounds)} (bound {bound}: prefetch {prefetch} + one fetch of at most {proxy.MaxRecordsPerFetch})");
        Assert.All(bounds, ahead => Assert.InRange(ahead, 0, bound));
        Assert.True(proxy.FetchedRecords < 1_000, $"fetched {proxy.FetchedRecords} of 20,000 records for {requested} requested");
        probe.Cancel();
    }

    [Fact]
    public async Task CommittableSource_commits_what_the_stream_processed_and_a_new_member_resumes_after_it()
    {
        var topic = await Node.CreateTopicAsync("commit", 2);
        await Node.ProduceAsync(topic, 200);
        var group = Group();
        var settings = Consumer.WithGroupId(group);
        var seen = new ConcurrentQueue<string>();
        var control = PlatformConsumer.CommittableSource(settings, Subscriptions.Topics(topic))
            .Select(message =>
            {
                seen.Enqueue(StreamsNode.Text(message.Record.Value));
                return (ICommittable)message.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(Sys)), DrainingControl<Done>.Create)
            .Run(Materializer);
        await AwaitConditionAsync(() => Task.FromResult(seen.Count >= 200), Wait);
        Assert.Equal(Done.Instance, await control.DrainAndShutdown());
        Assert.True(control.IsShutdown.IsCompletedSuccessfully);
        var description = await Node.Admin.DescribeTopicAsync(topic);
        foreach (var partition in description.Partitions)
            Assert.Equal(partition.HighWatermark, await Node.CommittedAsync(group, topic, partition.Partition));

        await Node.ProduceAsync(topic, 50, from: 200);
        var next = await PlatformConsumer.CommittableSource(settings, Subscriptions.Topics(topic))
            .Take(50)
            .Select(m => StreamsNode.Text(m.Record.Value))
            .RunWith(Sink.Seq<string>(), Materializer)
            .WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(200, 50).Select(i => $"v{i}").Order(), next.Order());
        Assert.Equal(200, seen.Distinct().Count());
    }

    [Fact]
    public async Task After_a_commit_failed_DrainAndShutdown_does_not_wait_the_stop_timeout_for_commits_that_cannot_come()
    {
        // Issue #13: once a commit had failed, Shutdown still waited the whole stop-timeout for the stream's
        // emitted offsets to be committed, which nothing would do any more.
        var topic = await Node.CreateTopicAsync("commit-fails", 1);
        await Node.ProduceAsync(topic, 100);
        await using var proxy = await KafkaProxy.StartAsync(Node.Node);
        var stopTimeout = TimeSpan.FromSeconds(60);
        var settings = Consumer.WithBootstrapServers(proxy.Endpoint).WithGroupId(Group())
            .WithCommitTimeout(TimeSpan.FromSeconds(2)).WithStopTimeout(stopTimeout);
        // A coordinator that stops answering commits: the first commit times out, and with it the committer sink.
        proxy.HoldCommits();
        var control = PlatformConsumer.CommittableSource(settings, Subscriptions.Topics(topic))
            .Select(message => (ICommittable)message.CommittableOffset)
            .ToMaterialized(Committer.Sink(CommitterSettings.Create(Sys)), DrainingControl<Done>.Create)
            .Run(Materializer);
        // The first commit comes once the group has assigned the partition: allow a loaded machine's join.
        var failure = await Record.ExceptionAsync(() => control.StreamCompletion.WaitAsync(TimeSpan.FromSeconds(90)));
        Assert.True(failure is PlatformException { Code: ErrorCode.RequestTimedOut }, $"the stream ended with {failure}");
        // The held commit may now reach the node; the client gave up on it, so its offsets stay uncommitted to it.
        proxy.Release();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => control.DrainAndShutdown());
        await control.IsShutdown.WaitAsync(stopTimeout);
        Output.WriteLine($"DrainAndShutdown after the failed commit took {watch.Elapsed.TotalSeconds:0.0} s (stop-timeout {stopTimeout.TotalSeconds} s)");
        Assert.True(watch.Elapsed < stopTimeout / 2, $"DrainAndShutdown took {watch.Elapsed}: it waited for commits that could not come");
    }

    [Fact]
    public async Task ConsumerSettings_from_a_plain_local_ActorSystem_connect_and_read()
    {
        var topic = await Node.CreateTopicAsync("plain-system", 1);
        await Node.ProduceAsync(topic, 20);
        // Akka's defaults, nothing of ours: provider = local (issue #13 found such a system never connected).
        var system = Akka.Actor.ActorSystem.Create("plain-local");
        try
        {
            Assert.Contains("LocalActorRefProvider", system.Settings.ProviderClass);
            var settings = ConsumerSettings.Create(system).WithBootstrapServers(Node.KafkaEndpoint).WithGroupId(Group())
                .WithAutoOffsetReset(AutoOffsetReset.Earliest);
            var values = await PlatformConsumer.CommittableSource(settings, Subscriptions.Topics(topic))
                .Take(20)
                .Select(m => StreamsNode.Text(m.Record.Value))
                .RunWith(Sink.Seq<string>(), system.Materializer())
                .WaitAsync(Wait);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"v{i}"), values);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task CommittableSource_emits_what_is_requested_with_each_records_group_topic_partition_and_offset()
    {
        var topic = await Node.CreateTopicAsync("demand", 1);
        await Node.ProduceAsync(topic, 20, partition: 0);
        var group = Group();
        var probe = PlatformConsumer.CommittableSource(Consumer.WithGroupId(group), Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .RunWith(this.SinkProbe<CommittableMessage>(), Materializer);
        probe.Request(3);
        for (var i = 0; i < 3; i++)
        {
            var message = await probe.ExpectNextAsync(Wait);
            Assert.Equal(new GroupTopicPartitionOffset(group, topic, 0, i), message.CommittableOffset.PartitionOffset);
            Assert.Equal($"v{i}", StreamsNode.Text(message.Record.Value));
        }
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        probe.Cancel();
    }

    [Fact]
    public async Task SourceWithOffsetContext_pairs_each_record_with_its_offset_and_emits_on_demand()
    {
        var topic = await Node.CreateTopicAsync("ctx-demand", 1);
        await Node.ProduceAsync(topic, 10, partition: 0);
        var probe = PlatformConsumer.SourceWithOffsetContext(Consumer.WithGroupId(Group()), Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .AsSource()
            .RunWith(this.SinkProbe<(ConsumeResult, ICommittableOffset)>(), Materializer);
        probe.Request(2);
        for (var i = 0; i < 2; i++)
        {
            var (record, offset) = await probe.ExpectNextAsync(Wait);
            Assert.Equal((long)i, record.Offset);
            Assert.Equal(record.Offset, offset.PartitionOffset.Offset);
        }
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        probe.Cancel();
    }

    [Fact]
    public async Task Shutdown_commits_what_was_processed_before_closing_the_consumer()
    {
        var topic = await Node.CreateTopicAsync("shutdown", 1);
        await Node.ProduceAsync(topic, 30);
        var group = Group();
        // Batches that only the end of the stream flushes: what gets committed is what Shutdown waited for.
        var committer = CommitterSettings.Create(Sys).WithMaxBatch(1_000_000).WithMaxInterval(TimeSpan.FromHours(1));
        var processed = 0;
        var (control, _) = PlatformConsumer.CommittableSource(Consumer.WithGroupId(group), Subscriptions.Assignment(new TopicPartition(topic, 0)))
            .Select(m =>
            {
                Interlocked.Increment(ref processed);
                return (ICommittable)m.CommittableOffset;
            })
            .ToMaterialized(Committer.Sink(committer), Keep.Both)
            .Run(Materializer);
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref processed) == 30), Wait);
        Assert.Null(await Node.CommittedAsync(group, topic, 0));
        await control.Shutdown().WaitAsync(Wait);
        Assert.Equal(30, await Node.CommittedAsync(group, topic, 0));
    }

    [Fact]
    public async Task A_partition_that_does_not_exist_fails_the_stream_with_UnknownTopicOrPartition()
    {
        var topic = await Node.CreateTopicAsync("missing", 1);
        var probe = PlatformConsumer.PlainSource(Consumer, Subscriptions.Assignment(new TopicPartition(topic, 5)))
            .RunWith(this.SinkProbe<ConsumeResult>(), Materializer);
        probe.Request(1);
        var error = Assert.IsType<PlatformException>(await probe.ExpectErrorAsync());
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error.Code);
        Assert.Contains("UnknownTopicOrPartition", error.Message);
    }

    [Fact]
    public void A_committable_source_without_a_group_id_is_refused_when_materialized()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            PlatformConsumer.CommittableSource(Consumer, Subscriptions.Assignment(new TopicPartition("t", 0))).To(Sink.Ignore<CommittableMessage>()).Run(Materializer));
        Assert.Contains("group id", e.Message);
    }

    [Fact]
    public void A_source_without_bootstrap_servers_or_connection_is_refused_when_materialized()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            PlatformConsumer.PlainSource(ConsumerSettings.Create(Sys), Subscriptions.Assignment(new TopicPartition("t", 0))).To(Sink.Ignore<ConsumeResult>()).Run(Materializer));
        Assert.Contains("bootstrap servers", e.Message);
    }

    [Fact]
    public async Task SourceWithOffsetContext_runs_a_FlowWithContext_pipeline_and_commits_the_contexts()
    {
        var input = await Node.CreateTopicAsync("ctx-in", 2);
        var outputTopic = await Node.CreateTopicAsync("ctx-out", 1);
        await Node.ProduceAsync(input, 100);
        var group = Group();
        var producer = ProducerSettings.Create(Sys).WithBootstrapServers(Node.KafkaEndpoint);
        var control = PlatformConsumer.SourceWithOffsetContext(Consumer.WithGroupId(group), Subscriptions.Topics(input))
            .Select(record => ProducerMessage.Single(new ProducerRecord(outputTopic, null, "ctx:" + StreamsNode.Text(record.Value))))
            .Via(PlatformProducer.FlowWithContext<ICommittableOffset>(producer))
            .ToMaterialized(Committer.SinkWithOffsetContext<IResults<ICommittableOffset>>(CommitterSettings.Create(Sys)), DrainingControl<Done>.Create)
            .Run(Materializer);
        await AwaitRecordsAsync(outputTopic, 100);
        await control.DrainAndShutdown();
        var copied = (await Node.ReadAllAsync(outputTopic)).Select(r => StreamsNode.Text(r.Value)).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"ctx:v{i}").ToHashSet(), copied);
        var description = await Node.Admin.DescribeTopicAsync(input);
        foreach (var partition in description.Partitions)
            Assert.Equal(partition.HighWatermark, await Node.CommittedAsync(group, input, partition.Partition));
    }

    [Fact]
    public async Task TopicPattern_reads_every_matching_topic()
    {
        var prefix = $"pat{Guid.NewGuid():N}"[..9];
        await Node.Admin.CreateTopicAsync(prefix + "-a", 1);
        await Node.Admin.CreateTopicAsync(prefix + "-b", 1);
        await Node.Admin.CreateTopicAsync("other-" + prefix, 1);
        await Node.ProduceAsync(prefix + "-a", 3, prefix: "a");
        await Node.ProduceAsync(prefix + "-b", 3, prefix: "b");
        await Node.ProduceAsync("other-" + prefix, 3, prefix: "o");
        var values = await PlatformConsumer.PlainSource(Consumer.WithGroupId(Group()), Subscriptions.TopicPattern($"^{prefix}-.*"))
            .Take(6)
            .Select(r => StreamsNode.Text(r.Value))
            .RunWith(Sink.Seq<string>(), Materializer)
            .WaitAsync(Wait);
        Assert.Equal(["a0", "a1", "a2", "b0", "b1", "b2"], values.Order());
    }
}
