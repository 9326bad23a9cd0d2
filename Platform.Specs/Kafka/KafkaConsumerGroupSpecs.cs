using System.Diagnostics;
using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Confluent.Kafka.Admin;
using Xunit.Abstractions;
using KafkaErrorCode = Confluent.Kafka.ErrorCode;
using Platform.Specs.Support;

namespace Platform.Specs.Kafka;

/// <summary>
/// Consumer groups over the Kafka listener with Confluent.Kafka (librdkafka), unmodified: assignment,
/// commits, a crashed member's partitions moving, and the admin APIs.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class KafkaConsumerGroupSpecs(KafkaGroupFixture fixture, ITestOutputHelper output) : IClassFixture<KafkaGroupFixture>
{
    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private IConsumer<string, string> Consumer(string group, string clientId = "spec-consumer")
    {
        var config = fixture.ConsumerConfig(group);
        config.ClientId = clientId;
        config.SessionTimeoutMs = 30000;
        return new ConsumerBuilder<string, string>(config).Build();
    }

    private async Task ProduceAsync(string topic, int partitions, int perPartition)
    {
        using var producer = new ProducerBuilder<string, string>(fixture.ProducerConfig()).Build();
        var sends = new List<Task>();
        for (var p = 0; p < partitions; p++)
        {
            for (var i = 0; i < perPartition; i++)
                sends.Add(producer.ProduceAsync(new TopicPartition(topic, p), new Message<string, string> { Key = $"k{i}", Value = $"{p}:{i}" }));
        }
        await Task.WhenAll(sends);
    }

    /// <summary>Polls every consumer in turn (assignments are applied inside Consume) until done or the deadline.</summary>
    private static Task PollUntilAsync(IReadOnlyList<IConsumer<string, string>> consumers, Func<bool> done, TimeSpan timeout, string what,
        Action<IConsumer<string, string>, ConsumeResult<string, string>>? onRecord = null) =>
        Eventually.TrueAsync(() =>
        {
            if (done()) return true;
            foreach (var consumer in consumers)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(20)) is { IsPartitionEOF: false } record) onRecord?.Invoke(consumer, record);
            }
            return false;
        }, what, timeout, TimeSpan.Zero);

    private static bool Split(IConsumer<string, string> a, IConsumer<string, string> b, int partitions) =>
        a.Assignment.Count > 0 && b.Assignment.Count > 0 && a.Assignment.Count + b.Assignment.Count == partitions;

    [Fact(Timeout = 60_000)]
    public async Task Two_consumers_get_disjoint_assignments_covering_every_partition_and_together_consume_every_record()
    {
        var topic = NewName("split");
        await fixture.CreateTopicAsync(topic, 6);
        var group = NewName("g");
        using var a = Consumer(group);
        using var b = Consumer(group);
        a.Subscribe(topic);
        b.Subscribe(topic);
        var joining = Stopwatch.StartNew();
        await PollUntilAsync([a, b], () => Split(a, b, 6), TimeSpan.FromSeconds(20), "both consumers to get partitions");
        output.WriteLine($"Two consumers assigned after {joining.ElapsedMilliseconds} ms");
        Assert.Empty(a.Assignment.Intersect(b.Assignment));
        Assert.Equal(Enumerable.Range(0, 6), a.Assignment.Concat(b.Assignment).Select(tp => tp.Partition.Value).Order());

        await ProduceAsync(topic, 6, 50);
        var seen = new List<(IConsumer<string, string> By, ConsumeResult<string, string> Record)>();
        await PollUntilAsync([a, b], () => seen.Count >= 300, TimeSpan.FromSeconds(20), "300 records", (c, r) => seen.Add((c, r)));
        // Each record exactly once, by the consumer that owns its partition.
        Assert.Equal(300, seen.Select(s => s.Record.TopicPartitionOffset).Distinct().Count());
        Assert.All(seen, s => Assert.Contains(s.Record.TopicPartition, s.By.Assignment));
        a.Close();
        b.Close();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_new_consumer_in_the_group_resumes_from_the_committed_offsets_without_rereading_or_skipping()
    {
        var topic = NewName("resume");
        await fixture.CreateTopicAsync(topic, 6);
        await ProduceAsync(topic, 6, 50);
        var group = NewName("g");

        var first = new List<TopicPartitionOffset>();
        using (var a = Consumer(group))
        {
            a.Subscribe(topic);
            await PollUntilAsync([a], () => first.Count >= 120, TimeSpan.FromSeconds(20), "120 records", (_, r) => first.Add(r.TopicPartitionOffset));
            a.Commit(); // the positions after exactly the records returned
            a.Close();
        }

        var second = new List<TopicPartitionOffset>();
        using var b = Consumer(group);
        b.Subscribe(topic);
        await PollUntilAsync([b], () => first.Count + second.Count >= 300, TimeSpan.FromSeconds(20), "all 300 records across both consumers",
            (_, r) => second.Add(r.TopicPartitionOffset));
        Assert.Empty(first.Intersect(second)); // nothing re-read
        Assert.Equal(300, first.Union(second).Distinct().Count()); // nothing skipped
        b.Close();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_consumer_that_dies_without_leaving_loses_its_partitions_to_the_survivor_well_before_its_session_timeout()
    {
        var topic = NewName("crash");
        await fixture.CreateTopicAsync(topic, 6);
        var group = NewName("g");
        var doomed = Consumer(group, "doomed");
        using var survivor = Consumer(group, "survivor");
        doomed.Subscribe(topic);
        survivor.Subscribe(topic);
        await PollUntilAsync([doomed, survivor], () => Split(doomed, survivor, 6), TimeSpan.FromSeconds(20), "both consumers to get partitions");

        // Dispose without Close: librdkafka sends no LeaveGroup and drops its connections, as a crash would.
        var crash = Stopwatch.StartNew();
        doomed.Dispose();
        await PollUntilAsync([survivor], () => survivor.Assignment.Count == 6, TimeSpan.FromSeconds(25), "the survivor to get every partition");
        output.WriteLine($"Survivor owned all 6 partitions {crash.ElapsedMilliseconds} ms after the crash (session timeout 30000 ms)");
        Assert.True(crash.Elapsed < TimeSpan.FromSeconds(10), $"reassigned after {crash.Elapsed}, session timeout 30 s");

        await ProduceAsync(topic, 6, 5);
        var consumed = 0;
        await PollUntilAsync([survivor], () => consumed >= 30, TimeSpan.FromSeconds(20), "30 records", (_, _) => consumed++);
        survivor.Close();
    }

    [Fact(Timeout = 60_000)]
    public async Task The_admin_client_lists_describes_and_deletes_groups_and_lists_their_committed_offsets()
    {
        var topic = NewName("admin");
        await fixture.CreateTopicAsync(topic, 4);
        await ProduceAsync(topic, 3, 10); // partition 3 stays empty, so it never gets a commit
        var group = NewName("g");
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        var consumer = Consumer(group, "admin-spec");
        try
        {
            consumer.Subscribe(topic);
            var consumed = 0;
            await PollUntilAsync([consumer], () => consumed >= 30, TimeSpan.FromSeconds(20), "30 records", (_, _) => consumed++);
            consumer.Commit();

            var listed = await admin.ListConsumerGroupsAsync();
            var listing = Assert.Single(listed.Valid, g => g.GroupId == group);
            Assert.Equal(ConsumerGroupState.Stable, listing.State);
            Assert.False(listing.IsSimpleConsumerGroup);

            var described = Assert.Single((await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions);
            Assert.Equal(ConsumerGroupState.Stable, described.State);
            Assert.Equal("range", described.PartitionAssignor);
            var member = Assert.Single(described.Members);
            Assert.Equal("admin-spec", member.ClientId);
            Assert.Equal("/127.0.0.1", member.Host);
            Assert.Equal(Enumerable.Range(0, 4), member.Assignment.TopicPartitions.Where(tp => tp.Topic == topic).Select(tp => tp.Partition.Value).Order());

            var offsets = Assert.Single(await admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(group, Enumerable.Range(0, 4).Select(p => new TopicPartition(topic, p)).ToList())]));
            Assert.Equal(new[] { 10L, 10L, 10L, Offset.Unset.Value }, offsets.Partitions.OrderBy(p => p.Partition.Value).Select(p => p.Offset.Value));

            var busy = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync([group]));
            Assert.Equal(KafkaErrorCode.NonEmptyGroup, Assert.Single(busy.Results).Error.Code);
            consumer.Close();
        }
        finally
        {
            consumer.Dispose();
        }

        // The group is empty now; its directory entry follows the coordinator's state.
        await Eventually.TrueAsync(async () => (await admin.ListConsumerGroupsAsync()).Valid.Single(g => g.GroupId == group).State == ConsumerGroupState.Empty,
            "the group listed as Empty after its member left", TimeSpan.FromSeconds(10));
        await admin.DeleteGroupsAsync([group]);
        Assert.DoesNotContain((await admin.ListConsumerGroupsAsync()).Valid, g => g.GroupId == group);
        var gone = Assert.Single(await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [new TopicPartition(topic, 0)])]));
        Assert.Equal(Offset.Unset, Assert.Single(gone.Partitions).Offset);
        var missing = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync([group]));
        Assert.Equal(KafkaErrorCode.GroupIdNotFound, Assert.Single(missing.Results).Error.Code);
    }
}
