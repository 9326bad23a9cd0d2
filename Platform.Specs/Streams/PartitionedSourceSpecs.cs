using System.Collections.Concurrent;
using Akka;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Platform.Client;
using Platform.Client.Streams;
using Xunit.Abstractions;

namespace Platform.Specs.Streams;

/// <summary>
/// Partitioned sources: one sub-source per partition, each with its own backpressure, completed when the
/// group takes the partition away.
/// </summary>
public sealed class PartitionedSourceSpecs(StreamsNode node, ITestOutputHelper output) : StreamsSpec(node, output)
{
    private async Task<string> TopicWithRecordsPerPartitionAsync(string prefix, int partitions, int perPartition)
    {
        var topic = await Node.CreateTopicAsync(prefix, partitions);
        for (var p = 0; p < partitions; p++) await Node.ProduceAsync(topic, perPartition, prefix: $"p{p}-", partition: p);
        return topic;
    }

    [Fact]
    public async Task PlainPartitionedSource_gives_each_partition_its_own_source_and_an_unread_partition_holds_back_no_other()
    {
        var topic = await TopicWithRecordsPerPartitionAsync("parts", 3, 20);
        var outer = PlatformConsumer.PlainPartitionedSource(Consumer.WithMaxPollRecords(5),
                Subscriptions.Assignment(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2)))
            .RunWith(this.SinkProbe<(TopicPartition Partition, Source<ConsumeResult, NotUsed> Source)>(), Materializer);
        outer.Request(3);
        var pairs = new[] { await outer.ExpectNextAsync(Wait), await outer.ExpectNextAsync(Wait), await outer.ExpectNextAsync(Wait) };
        Assert.Equal([0, 1, 2], pairs.Select(p => p.Partition.Partition).Order());

        // Partition 0's source is materialized but never asked for anything; 1 and 2 are read to the end.
        var stalled = pairs.Single(p => p.Partition.Partition == 0).Source.RunWith(this.SinkProbe<ConsumeResult>(), Materializer);
        foreach (var (partition, source) in pairs.Where(p => p.Partition.Partition != 0))
        {
            var probe = source.RunWith(this.SinkProbe<ConsumeResult>(), Materializer);
            probe.Request(20);
            for (var i = 0; i < 20; i++)
            {
                var record = await probe.ExpectNextAsync(Wait);
                Assert.Equal((partition.Partition, (long)i, $"p{partition.Partition}-{i}"), (record.Partition, record.Offset, StreamsNode.Text(record.Value)));
            }
            probe.Cancel();
        }
        stalled.Request(1);
        Assert.Equal("p0-0", StreamsNode.Text((await stalled.ExpectNextAsync(Wait)).Value));
        stalled.Cancel();
        outer.Cancel();
    }

    [Fact]
    public async Task CommittablePartitionedSource_completes_a_partitions_source_when_a_rebalance_takes_it_away()
    {
        var topic = await TopicWithRecordsPerPartitionAsync("rebalance", 4, 10);
        var group = Group();
        var settings = Consumer.WithGroupId(group);
        var seen = new ConcurrentQueue<string>();
        var first = PlatformConsumer.CommittablePartitionedSource(settings, Subscriptions.Topics(topic))
            .RunWith(this.SinkProbe<(TopicPartition Partition, Source<CommittableMessage, NotUsed> Source)>(), Materializer);
        first.Request(10);
        var owned = new List<(TopicPartition Partition, Task<Done> Completion)>();
        for (var i = 0; i < 4; i++)
        {
            var (partition, source) = await first.ExpectNextAsync(Wait);
            owned.Add((partition, source
                .Select(m =>
                {
                    seen.Enqueue(StreamsNode.Text(m.Record.Value));
                    return (ICommittable)m.CommittableOffset;
                })
                .RunWith(Committer.Sink(CommitterSettings.Create(Sys)), Materializer)));
        }
        await AwaitConditionAsync(() => Task.FromResult(seen.Count == 40), Wait);
        Assert.All(owned, o => Assert.False(o.Completion.IsCompleted));

        // A second member joins: the eager rebalance revokes all four, so each source completes (after its commits).
        var second = PlatformConsumer.PlainPartitionedSource(settings, Subscriptions.Topics(topic))
            .RunWith(this.SinkProbe<(TopicPartition Partition, Source<ConsumeResult, NotUsed> Source)>(), Materializer);
        second.Request(10);
        await Task.WhenAll(owned.Select(o => o.Completion)).WaitAsync(Wait);
        for (var p = 0; p < 4; p++) Assert.Equal(10, await Node.CommittedAsync(group, topic, p));

        var reassigned = new List<int>
        {
            (await first.ExpectNextAsync(Wait)).Partition.Partition,
            (await first.ExpectNextAsync(Wait)).Partition.Partition,
            (await second.ExpectNextAsync(Wait)).Partition.Partition,
            (await second.ExpectNextAsync(Wait)).Partition.Partition,
        };
        Assert.Equal([0, 1, 2, 3], reassigned.Order());
        first.Cancel();
        second.Cancel();
    }
}
