using Akka.Actor;
using Akka.Cluster.Sharding;
using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Confluent.Kafka.Admin;
using Platform.Actors.Groups;
using Platform.Protocol.Messages;
using Platform.Specs.Support;
using static Platform.Specs.Kafka.KafkaRequests;
using ErrorCode = Platform.Protocol.ErrorCode;
using KafkaErrorCode = Confluent.Kafka.ErrorCode;

namespace Platform.Specs.Kafka;

/// <summary>
/// Each bound on per-client group state, met through the Kafka wire protocol (Confluent.Kafka's admin client and
/// consumer, kafka-python, or a raw request where a full client would hide the error): the client gets Kafka's
/// error, no coordinator is started for a group that does not exist, and the node keeps serving its records.
/// </summary>
[Trait("Category", "KafkaClients")]
public sealed class KafkaGroupLimitsSpecs(GroupLimitsNodeFixture fixture) : IClassFixture<GroupLimitsNodeFixture>
{
    private const string Python = "/usr/bin/python3";

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>The group ids whose coordinators run on the node now (the group shard region's entities).</summary>
    public static async Task<IReadOnlySet<string>> RunningCoordinatorsAsync(ActorSystem system)
    {
        var state = await ClusterSharding.Get(system).ShardRegion(GroupEntity.TypeName)
            .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
        return state.Shards.SelectMany(s => s.EntityIds).ToHashSet();
    }

    /// <summary>A topic with three records, checked again after the spec's attack.</summary>
    private async Task<(string Topic, string[] Values)> TopicWithRecordsAsync()
    {
        var topic = NewName("limits");
        await fixture.CreateTopicAsync(topic, 1);
        string[] values = ["a", "b", "c"];
        await ProduceAsync(fixture.Bootstrap, topic, 0, values);
        return (topic, values);
    }

    [Fact(Timeout = 60_000)]
    public async Task Unknown_groups_are_described_fetched_deleted_and_heartbeated_without_starting_a_coordinator()
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var unknown = Enumerable.Range(0, 20).Select(_ => NewName("made-up")).ToList();
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();

        var described = (await admin.DescribeConsumerGroupsAsync(unknown)).ConsumerGroupDescriptions;
        Assert.All(described, d => Assert.Equal(ConsumerGroupState.Dead, d.State));
        foreach (var group in unknown.Take(5))
        {
            var offsets = Assert.Single(await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [new TopicPartition(topic, 0)])]));
            Assert.Equal(Offset.Unset, Assert.Single(offsets.Partitions).Offset);
        }
        var deleted = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(unknown.Take(5).ToList()));
        Assert.All(deleted.Results, r => Assert.Equal(KafkaErrorCode.GroupIdNotFound, r.Error.Code));
        using (var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap))
        {
            Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(client, unknown[0], "nobody", 1)).ErrorCode);
            var synced = await client.SendAsync(ApiKey.SyncGroup, 5, new SyncGroupRequest { GroupId = unknown[1], MemberId = "nobody", GenerationId = 1 },
                SyncGroupRequest.HeaderVersion, SyncGroupResponse.HeaderVersion, SyncGroupResponse.Read);
            Assert.Equal((short)ErrorCode.UnknownMemberId, synced.ErrorCode);
        }

        Assert.Empty((await RunningCoordinatorsAsync(fixture.Node.System)).Intersect(unknown));
        Assert.DoesNotContain((await admin.ListConsumerGroupsAsync()).Valid, g => unknown.Contains(g.GroupId));
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_empty_coordinator_stops_when_idle_and_its_committed_offsets_survive()
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var group = NewName("idle");
        using (var consumer = new ConsumerBuilder<Ignore, string>(fixture.ConsumerConfig(group)).Build())
        {
            consumer.Assign(new TopicPartition(topic, 0));
            consumer.Commit([new TopicPartitionOffset(topic, 0, 2)]);
        }
        Assert.Contains(group, await RunningCoordinatorsAsync(fixture.Node.System));

        // passivate-idle-after is 1 s here.
        await Eventually.TrueAsync(async () => !(await RunningCoordinatorsAsync(fixture.Node.System)).Contains(group),
            "the empty group's coordinator stopped", TimeSpan.FromSeconds(15));

        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        var offsets = Assert.Single(await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [new TopicPartition(topic, 0)])]));
        Assert.Equal(2, Assert.Single(offsets.Partitions).Offset.Value);
        Assert.Equal(ConsumerGroupState.Empty, Assert.Single((await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions).State);
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_full_group_refuses_the_next_member_with_GroupMaxSizeReached()
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var group = NewName("full");
        var clients = new List<RawKafkaClient>();
        try
        {
            for (var i = 0; i <= GroupLimitsNodeFixture.MaxSize; i++) clients.Add(await RawKafkaClient.ConnectAsync(fixture.Bootstrap));
            var first = await JoinAsync(clients[0], Join(group, topic, rebalanceTimeoutMs: 60_000));
            Assert.Equal((short)ErrorCode.None, first.ErrorCode);
            // The second member starts a rebalance that waits for the first to rejoin; it is a member meanwhile.
            var second = JoinAsync(clients[1], Join(group, topic, rebalanceTimeoutMs: 60_000));
            await Eventually.TrueAsync(async () =>
                (await HeartbeatAsync(clients[0], group, first.MemberId, first.GenerationId)).ErrorCode == (short)ErrorCode.RebalanceInProgress,
                "the second member's join started a rebalance", TimeSpan.FromSeconds(10));

            var third = await JoinAsync(clients[2], Join(group, topic));
            Assert.Equal((short)ErrorCode.GroupMaxSizeReached, third.ErrorCode);

            // The members in the group go on: the first rejoins and the rebalance completes for both.
            var rejoined = await JoinAsync(clients[0], Join(group, topic, first.MemberId, rebalanceTimeoutMs: 60_000));
            Assert.Equal((short)ErrorCode.None, rejoined.ErrorCode);
            Assert.Equal((short)ErrorCode.None, (await second).ErrorCode);
            Assert.Equal(2, rejoined.Members.Count);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(5_999, 10_000)]
    [InlineData(30 * 60 * 1000 + 1, 10_000)]
    [InlineData(10_000, 30 * 60 * 1000 + 1)]
    public async Task Session_and_rebalance_timeouts_outside_the_bounds_get_InvalidSessionTimeout(int sessionTimeoutMs, int rebalanceTimeoutMs)
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var group = NewName("timeouts");
        using (var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap))
        {
            var joined = await JoinAsync(client, Join(group, topic, sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs));
            Assert.Equal((short)ErrorCode.InvalidSessionTimeout, joined.ErrorCode);
        }
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        Assert.Equal(ConsumerGroupState.Dead, Assert.Single((await admin.DescribeConsumerGroupsAsync([group])).ConsumerGroupDescriptions).State);
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_librdkafka_consumer_with_a_session_timeout_below_the_minimum_gets_InvalidSessionTimeout()
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var config = fixture.ConsumerConfig();
        config.SessionTimeoutMs = 3000;
        config.HeartbeatIntervalMs = 1000;
        using var consumer = new ConsumerBuilder<Ignore, string>(config).Build();
        consumer.Subscribe(topic);
        var error = await Eventually.ValueAsync(() =>
        {
            try
            {
                consumer.Consume(TimeSpan.FromMilliseconds(200));
                return (KafkaErrorCode?)null;
            }
            catch (ConsumeException e)
            {
                return e.Error.Code;
            }
        }, code => code is not null, "the consumer reports the join's error", TimeSpan.FromSeconds(20));
        Assert.Equal(KafkaErrorCode.InvalidSessionTimeout, error);
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = 90_000)]
    public async Task Commit_metadata_over_the_bound_gets_OffsetMetadataTooLarge_in_kafka_python_and_the_next_commit_is_stored()
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var group = NewName("metadata");
        // kafka-python raises OffsetMetadataTooLargeError for the partition; a commit within the bound then goes through.
        const string script = """
            import sys
            from kafka import KafkaConsumer, TopicPartition
            from kafka.structs import OffsetAndMetadata
            bootstrap, topic, group = sys.argv[1:4]
            c = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(2, 4, 0), group_id=group, enable_auto_commit=False)
            tp = TopicPartition(topic, 0)
            c.assign([tp])
            try:
                c.commit({tp: OffsetAndMetadata(1, "x" * 4097)})
                print("committed")
            except Exception as e:
                print("refused " + type(e).__name__)
            c.commit({tp: OffsetAndMetadata(2, "x" * 4096)})
            print("then committed " + str(c.committed(tp)))
            c.close()
            """;
        var (exit, output) = await RunPythonAsync(script, fixture.Bootstrap, topic, group);
        Assert.True(exit == 0, output);
        Assert.Contains("refused OffsetMetadataTooLargeError", output);
        Assert.Contains("then committed 2", output);
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_group_id_longer_than_the_bound_is_InvalidGroupId()
    {
        var (topic, values) = await TopicWithRecordsAsync();
        var tooLong = new string('g', 250);
        using var admin = new AdminClientBuilder(fixture.AdminConfig()).Build();
        var described = await Assert.ThrowsAsync<DescribeConsumerGroupsException>(() => admin.DescribeConsumerGroupsAsync([tooLong]));
        Assert.Equal(KafkaErrorCode.InvalidGroupId, Assert.Single(described.Results.ConsumerGroupDescriptions).Error.Code);
        using (var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap))
            Assert.Equal((short)ErrorCode.InvalidGroupId, (await JoinAsync(client, Join(tooLong, topic))).ErrorCode);
        Assert.DoesNotContain(tooLong, await RunningCoordinatorsAsync(fixture.Node.System));

        // 249 characters is still a group.
        var longest = new string('h', 249);
        using (var client = await RawKafkaClient.ConnectAsync(fixture.Bootstrap))
            Assert.Equal((short)ErrorCode.None, (await JoinAsync(client, Join(longest, topic))).ErrorCode);
        await AssertServesAsync(fixture.Bootstrap, topic, 0, values);
    }

    private static async Task<(int Exit, string Output)> RunPythonAsync(string script, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
