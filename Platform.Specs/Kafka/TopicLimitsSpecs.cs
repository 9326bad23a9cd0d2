using Akka.Actor;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Platform.Actors.Topics;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace Platform.Specs.Kafka;

/// <summary>A node whose cluster-wide topic and partition limits are low enough for specs to reach.</summary>
public sealed class TopicLimitedNodeFixture() : KafkaNodeFixture($"""
    platform.node.max-topics = {MaxTopics}
    platform.node.max-partitions = {MaxPartitions}
    """)
{
    public const int MaxTopics = 30;

    public const int MaxPartitions = 3000;
}

/// <summary>
/// The admin limits of issue #12 through Confluent.Kafka's AdminClient, producer and consumer (librdkafka): cluster-wide
/// caps on topics and partitions (POLICY_VIOLATION), names that collide on '.' and '_' (INVALID_TOPIC_EXCEPTION, in
/// Kafka's words), config values out of range (INVALID_CONFIG) on create and on both alter APIs, and the per-topic
/// message timestamp settings honoured by the partitions. Each refusal changes nothing, and the node keeps serving.
/// </summary>
[Trait("Category", "Kafka")]
public sealed class TopicLimitsSpecs(TopicLimitedNodeFixture fixture) : IClassFixture<TopicLimitedNodeFixture>
{
    private IAdminClient Admin() => new AdminClientBuilder(fixture.AdminConfig()).Build();

    private async Task<IReadOnlyList<TopicLookup>> RegistryTopics() =>
        (await fixture.Node.Registry.Ask<TopicsResult>(new GetTopics([], false), TimeSpan.FromSeconds(10))).Topics;

    private async Task<TopicInfo?> RegistryTopic(string name) =>
        (await fixture.Node.Registry.Ask<TopicsResult>(new GetTopics([name], false), TimeSpan.FromSeconds(10))).Topics[0].Topic;

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>A record produced and read back on a topic made before the refusals: the node still serves.</summary>
    private async Task AssertServesAsync()
    {
        var topic = Name("serving");
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "still-serving" });
        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        Assert.Equal("still-serving", consumer.Consume(TimeSpan.FromSeconds(20))?.Message.Value);
        await admin.DeleteTopicsAsync([topic]);
    }

    [Fact(Timeout = 120_000)]
    public async Task Topics_beyond_the_clusters_limit_get_POLICY_VIOLATION_and_the_node_keeps_serving()
    {
        using var admin = Admin();
        var room = TopicLimitedNodeFixture.MaxTopics - (await RegistryTopics()).Count;
        var fillers = Enumerable.Range(0, room).Select(i => $"filler-{i}-{Guid.NewGuid():N}"[..16]).ToList();
        await admin.CreateTopicsAsync(fillers.Select(n => new TopicSpecification { Name = n, NumPartitions = 1 }));
        try
        {
            var e = await Assert.ThrowsAsync<CreateTopicsException>(() =>
                admin.CreateTopicsAsync([new TopicSpecification { Name = "one-too-many", NumPartitions = 1 }]));
            Assert.Equal(ErrorCode.PolicyViolation, e.Results[0].Error.Code);
            Assert.Contains("platform.node.max-topics", e.Results[0].Error.Reason);
            Assert.Null(await RegistryTopic("one-too-many"));
        }
        finally
        {
            await admin.DeleteTopicsAsync(fillers);
        }
        await AssertServesAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task Partitions_beyond_the_clusters_total_get_POLICY_VIOLATION_on_create_and_on_growth()
    {
        using var admin = Admin();
        var topic = Name("big");
        var room = TopicLimitedNodeFixture.MaxPartitions - (await RegistryTopics()).Sum(t => t.Topic!.PartitionCount);
        // Most of the room in one topic, which the registry starts a batch at a time while clients are served.
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = room - 10 }]);
        try
        {
            var create = await Assert.ThrowsAsync<CreateTopicsException>(() =>
                admin.CreateTopicsAsync([new TopicSpecification { Name = Name("over"), NumPartitions = 11 }]));
            Assert.Equal(ErrorCode.PolicyViolation, create.Results[0].Error.Code);
            Assert.Contains("platform.node.max-partitions", create.Results[0].Error.Reason);
            var grow = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
                admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = topic, IncreaseTo = room + 1 }]));
            Assert.Equal(ErrorCode.PolicyViolation, grow.Results[0].Error.Code);
            Assert.Equal(room - 10, (await RegistryTopic(topic))!.PartitionCount);

            // Its last partition serves at once (a request starts its partition), however many wait to be woken.
            using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
            var last = new Confluent.Kafka.TopicPartition(topic, room - 11);
            Assert.Equal(0, (await producer.ProduceAsync(last, new Message<Null, string> { Value = "last" })).Offset.Value);
        }
        finally
        {
            await admin.DeleteTopicsAsync([topic]);
        }
        await AssertServesAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_name_colliding_with_an_existing_one_on_dot_and_underscore_is_INVALID_TOPIC_EXCEPTION_as_Kafka_words_it()
    {
        using var admin = Admin();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await admin.CreateTopicsAsync([new TopicSpecification { Name = $"metrics.clicks_{suffix}", NumPartitions = 1 }]);
        var e = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = $"metrics_clicks.{suffix}", NumPartitions = 1 }]));
        Assert.Equal(ErrorCode.TopicException, e.Results[0].Error.Code);
        Assert.Equal($"Topic 'metrics_clicks.{suffix}' collides with existing topic: metrics.clicks_{suffix}", e.Results[0].Error.Reason);
        Assert.Null(await RegistryTopic($"metrics_clicks.{suffix}"));
        await admin.DeleteTopicsAsync([$"metrics.clicks_{suffix}"]);
        await AssertServesAsync();
    }

    [Theory(Timeout = 60_000)]
    [InlineData("retention.ms", "-2")]
    [InlineData("retention.bytes", "-5")]
    [InlineData("max.message.bytes", "0")]
    [InlineData("max.message.bytes", "2097153")] // above socket-request-max-bytes: no client could produce it
    [InlineData("cleanup.policy", "compact")]
    [InlineData("message.timestamp.type", "WallClockTime")]
    [InlineData("message.timestamp.before.max.ms", "-1")]
    [InlineData("message.timestamp.after.max.ms", "tomorrow")]
    [InlineData("segment.bytes", "1048576")]
    public async Task A_config_value_out_of_range_is_INVALID_CONFIG_on_create_and_on_both_alters(string key, string value)
    {
        using var admin = Admin();
        var topic = Name("cfg");
        var create = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, Configs = new() { [key] = value } }]));
        Assert.Equal(ErrorCode.InvalidConfig, create.Results[0].Error.Code);
        Assert.Null(await RegistryTopic(topic));

        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1 }]);
        var before = await RegistryTopic(topic);
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = topic };
        var incremental = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = [new ConfigEntry { Name = key, Value = value, IncrementalOperation = AlterConfigOpType.Set }] }));
        Assert.Equal(ErrorCode.InvalidConfig, incremental.Results[0].Error.Code);
#pragma warning disable CS0618 // the legacy AlterConfigs is what is under test here
        var legacy = await Assert.ThrowsAsync<AlterConfigsException>(() => admin.AlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = [new ConfigEntry { Name = key, Value = value }] }));
#pragma warning restore CS0618
        Assert.Equal(ErrorCode.InvalidConfig, legacy.Results[0].Error.Code);
        Assert.Equal(before, await RegistryTopic(topic));
        await admin.DeleteTopicsAsync([topic]);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_topics_message_timestamp_settings_are_honoured_by_its_partitions_instead_of_the_nodes()
    {
        using var admin = Admin();
        var (strict, appendTime, plain) = (Name("strict"), Name("append"), Name("plain"));
        await admin.CreateTopicsAsync([
            new TopicSpecification { Name = strict, NumPartitions = 1, Configs = new() { ["message.timestamp.before.max.ms"] = "60000" } },
            new TopicSpecification { Name = appendTime, NumPartitions = 1, Configs = new() { ["message.timestamp.type"] = "LogAppendTime" } },
            new TopicSpecification { Name = plain, NumPartitions = 1 },
        ]);
        var anHourAgo = new Timestamp(DateTime.UtcNow - TimeSpan.FromHours(1));
        using var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build();
        Message<Null, string> Old(string value) => new() { Value = value, Timestamp = anHourAgo };

        // One hour behind: too old for the strict topic, fine for the node's unbounded default.
        var refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync(strict, Old("too-old")));
        Assert.Equal(ErrorCode.InvalidTimestamp, refused.Error.Code);
        await producer.ProduceAsync(plain, Old("kept"));
        // LogAppendTime: stored with the broker's clock, whatever the producer said.
        await producer.ProduceAsync(appendTime, Old("restamped"));

        // Altered back to the node's setting, the strict topic takes the old record too.
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [new ConfigResource { Type = ResourceType.Topic, Name = strict }] =
                [new ConfigEntry { Name = "message.timestamp.before.max.ms", IncrementalOperation = AlterConfigOpType.Delete }],
        });
        await Support.Eventually.PassesAsync(async () => await producer.ProduceAsync(strict, Old("after-delete")),
            "the strict topic's partition applies the deleted override", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));

        using var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build();
        ConsumeResult<Null, string> First(string topic)
        {
            consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            return consumer.Consume(TimeSpan.FromSeconds(20)) ?? throw new Xunit.Sdk.XunitException($"nothing consumed from {topic}");
        }
        var kept = First(plain);
        Assert.Equal((TimestampType.CreateTime, anHourAgo.UnixTimestampMs), (kept.Message.Timestamp.Type, kept.Message.Timestamp.UnixTimestampMs));
        var restamped = First(appendTime);
        Assert.Equal(TimestampType.LogAppendTime, restamped.Message.Timestamp.Type);
        Assert.True(restamped.Message.Timestamp.UtcDateTime > DateTime.UtcNow - TimeSpan.FromMinutes(5), $"stamped {restamped.Message.Timestamp.UtcDateTime}");
        Assert.Equal("after-delete", First(strict).Message.Value);
        await admin.DeleteTopicsAsync([strict, appendTime, plain]);
    }
}
