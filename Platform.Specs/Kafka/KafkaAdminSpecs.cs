using Akka.Actor;
using Confluent.Kafka;
using TopicPartition = Confluent.Kafka.TopicPartition;
using Confluent.Kafka.Admin;
using Platform.Actors.Topics;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace Platform.Specs.Kafka;

/// <summary>The admin APIs of the Kafka listener driven by Confluent.Kafka's AdminClient (librdkafka), an unmodified Kafka client.</summary>
[Trait("Category", "Kafka")]
public sealed class KafkaAdminSpecs(KafkaNodeFixture fixture) : IClassFixture<KafkaNodeFixture>
{
    private IAdminClient Admin() => new AdminClientBuilder(fixture.AdminConfig()).Build();

    private async Task<TopicInfo?> RegistryTopic(string name)
    {
        var result = await fixture.Node.Registry.Ask<TopicsResult>(new GetTopics([name], false), TimeSpan.FromSeconds(10));
        return result.Topics[0].Topic;
    }

    private static async Task<Dictionary<string, ConfigEntryResult>> TopicConfigs(IAdminClient admin, string topic) =>
        (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = topic }]))[0].Entries;

    [Fact]
    public async Task Create_topics_applies_configs_and_defaults_validate_only_creates_nothing_and_errors_are_Kafkas()
    {
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "adm-validate", NumPartitions = 2 }], new CreateTopicsOptions { ValidateOnly = true });
        Assert.Null(await RegistryTopic("adm-validate"));

        await admin.CreateTopicsAsync([
            new TopicSpecification
            {
                Name = "adm-created", NumPartitions = 3, ReplicationFactor = 3,
                Configs = new Dictionary<string, string> { ["retention.ms"] = "1234", ["max.message.bytes"] = "5000" },
            },
            new TopicSpecification { Name = "adm-defaulted" },
        ]);
        var created = await RegistryTopic("adm-created");
        Assert.Equal(3, created!.PartitionCount);
        Assert.Equal((1234L, 5000), (created.Config.RetentionMs, created.Config.MaxMessageBytes));
        Assert.Equal(1, (await RegistryTopic("adm-defaulted"))!.PartitionCount); // num_partitions -1: the node's num.partitions

        var e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync([
            new TopicSpecification { Name = "adm-created", NumPartitions = 1 },
            new TopicSpecification { Name = "adm-bad-rf", NumPartitions = 1, ReplicationFactor = 0 },
            new TopicSpecification { Name = "adm-bad-config", NumPartitions = 1, Configs = new() { ["retention.ms"] = "soon" } },
            new TopicSpecification { Name = "adm-bad-partitions", NumPartitions = 0 },
            new TopicSpecification { Name = "adm bad name", NumPartitions = 1 },
        ]));
        var errors = e.Results.ToDictionary(r => r.Topic, r => r.Error.Code);
        Assert.Equal(ErrorCode.TopicAlreadyExists, errors["adm-created"]);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, errors["adm-bad-rf"]);
        Assert.Equal(ErrorCode.InvalidConfig, errors["adm-bad-config"]);
        Assert.Equal(ErrorCode.InvalidPartitions, errors["adm-bad-partitions"]);
        Assert.Equal(ErrorCode.TopicException, errors["adm bad name"]);
        Assert.Null(await RegistryTopic("adm-bad-config"));
    }

    [Fact]
    public async Task A_topic_with_more_partitions_than_the_limit_is_refused_and_the_node_keeps_serving()
    {
        using var admin = Admin();
        var e = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = "adm-huge", NumPartitions = 50_000 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, e.Results[0].Error.Code);
        Assert.Contains("max-partitions-per-topic", e.Results[0].Error.Reason);
        Assert.Null(await RegistryTopic("adm-huge"));

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "adm-small", NumPartitions = 2 }]);
        var grow = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "adm-small", IncreaseTo = 50_000 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, grow.Results[0].Error.Code);
        Assert.Equal(2, (await RegistryTopic("adm-small"))!.PartitionCount);
    }

    [Fact]
    public async Task Delete_topics_removes_the_topic_and_a_second_delete_is_unknown_topic()
    {
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "adm-deleted", NumPartitions = 1 }]);
        await admin.DeleteTopicsAsync(["adm-deleted"]);
        Assert.Null(await RegistryTopic("adm-deleted"));
        var e = await Assert.ThrowsAsync<DeleteTopicsException>(() => admin.DeleteTopicsAsync(["adm-deleted"]));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, e.Results[0].Error.Code);
    }

    [Fact]
    public async Task Create_partitions_grows_a_topic_validate_only_does_not_and_shrinking_is_invalid()
    {
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "adm-grown", NumPartitions = 2 }]);
        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "adm-grown", IncreaseTo = 6 }], new CreatePartitionsOptions { ValidateOnly = true });
        Assert.Equal(2, (await RegistryTopic("adm-grown"))!.PartitionCount);
        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "adm-grown", IncreaseTo = 5 }]);
        Assert.Equal(5, (await RegistryTopic("adm-grown"))!.PartitionCount);
        Assert.Equal(5, admin.GetMetadata("adm-grown", TimeSpan.FromSeconds(10)).Topics[0].Partitions.Count);
        var e = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "adm-grown", IncreaseTo = 3 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, e.Results[0].Error.Code);
    }

    [Fact]
    public async Task Describe_configs_tells_topic_overrides_from_defaults_and_reports_broker_settings_read_only()
    {
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "adm-described", NumPartitions = 1, Configs = new() { ["retention.ms"] = "60000" } }]);
        var topic = await TopicConfigs(admin, "adm-described");
        Assert.Equal(["cleanup.policy", "max.message.bytes", "message.timestamp.after.max.ms", "message.timestamp.before.max.ms",
            "message.timestamp.type", "retention.bytes", "retention.ms"], topic.Keys.Order());
        // Not set on the topic: the node's log.message.timestamp.* (Kafka's synonyms), as defaults.
        Assert.Equal(("CreateTime", ConfigSource.DefaultConfig), (topic["message.timestamp.type"].Value, topic["message.timestamp.type"].Source));
        Assert.Equal("3600000", topic["message.timestamp.after.max.ms"].Value);
        Assert.Equal(("60000", ConfigSource.DynamicTopicConfig), (topic["retention.ms"].Value, topic["retention.ms"].Source));
        Assert.Equal(("1048588", ConfigSource.DefaultConfig), (topic["max.message.bytes"].Value, topic["max.message.bytes"].Source));

        var cluster = await admin.DescribeClusterAsync();
        var broker = (await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = cluster.Nodes[0].Id.ToString() }]))[0].Entries;
        Assert.Equal("false", broker["auto.create.topics.enable"].Value);
        Assert.Equal("1", broker["num.partitions"].Value);
        Assert.Equal("1", broker["default.replication.factor"].Value);
        Assert.Equal("1048588", broker["message.max.bytes"].Value);
        Assert.Equal("2097152", broker["socket.request.max.bytes"].Value);
        Assert.Equal("CreateTime", broker["log.message.timestamp.type"].Value);
        Assert.Equal("3000", broker["group.initial.rebalance.delay.ms"].Value);
        Assert.Equal("10080", broker["offsets.retention.minutes"].Value);
        Assert.All(broker.Values, c => Assert.True(c.IsReadOnly));
        Assert.All(broker.Values, c => Assert.Equal(ConfigSource.StaticBrokerConfig, c.Source));

        var unknown = await Assert.ThrowsAsync<DescribeConfigsException>(() =>
            admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "adm-no-such-topic" }]));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, unknown.Results[0].Error.Code);
    }

    [Fact]
    public async Task Altered_configs_show_in_describe_and_are_enforced_by_the_partitions()
    {
        const string name = "adm-altered";
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1 }]);
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = name };
        await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "max.message.bytes", Value = "1000", IncrementalOperation = AlterConfigOpType.Set }],
        });
        var configs = await TopicConfigs(admin, name);
        Assert.Equal(("1000", ConfigSource.DynamicTopicConfig), (configs["max.message.bytes"].Value, configs["max.message.bytes"].Source));

        using (var producer = new ProducerBuilder<Null, byte[]>(fixture.ProducerConfig()).Build())
        {
            var tooLarge = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(() =>
                producer.ProduceAsync(name, new Message<Null, byte[]> { Value = new byte[5000] }));
            Assert.Equal(ErrorCode.MsgSizeTooLarge, tooLarge.Error.Code);
            await producer.ProduceAsync(name, new Message<Null, byte[]> { Value = new byte[10] });
        }

        // The legacy AlterConfigs replaces the whole config: max.message.bytes, not named, is the default again.
#pragma warning disable CS0618 // AlterConfigsAsync is deprecated in favour of the incremental API, and is what is under test here
        await admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] = [new ConfigEntry { Name = "retention.ms", Value = "90000" }],
        });
#pragma warning restore CS0618
        configs = await TopicConfigs(admin, name);
        Assert.Equal(("1048588", ConfigSource.DefaultConfig), (configs["max.message.bytes"].Value, configs["max.message.bytes"].Source));
        Assert.Equal("90000", configs["retention.ms"].Value);

        var invalid = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [resource] = [new ConfigEntry { Name = "retention.ms", Value = "soon", IncrementalOperation = AlterConfigOpType.Set }],
            }));
        Assert.Equal(ErrorCode.InvalidConfig, invalid.Results[0].Error.Code);

        var cluster = await admin.DescribeClusterAsync();
        var broker = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>>
            {
                [new ConfigResource { Type = ResourceType.Broker, Name = cluster.Nodes[0].Id.ToString() }] =
                    [new ConfigEntry { Name = "num.partitions", Value = "3", IncrementalOperation = AlterConfigOpType.Set }],
            }));
        Assert.Equal(ErrorCode.InvalidRequest, broker.Results[0].Error.Code);
        Assert.Contains("read-only", broker.Results[0].Error.Reason);
    }

    [Fact]
    public async Task Delete_records_moves_the_low_watermark_and_consumers_from_the_beginning_start_there()
    {
        const string name = "adm-records";
        using var admin = Admin();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = 1 }]);
        using (var producer = new ProducerBuilder<Null, string>(fixture.ProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++) await producer.ProduceAsync(name, new Message<Null, string> { Value = "v" + i });
        }
        var tp = new TopicPartition(name, 0);
        var deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset(tp, 4)]);
        Assert.Equal(4, deleted[0].Offset.Value);

        using (var consumer = new ConsumerBuilder<Null, string>(fixture.ConsumerConfig()).Build())
        {
            Assert.Equal(4, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).Low.Value);
            consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
            var first = consumer.Consume(TimeSpan.FromSeconds(10));
            Assert.NotNull(first);
            Assert.Equal((4L, "v4"), (first.Offset.Value, first.Message.Value));
        }

        var beyond = await Assert.ThrowsAsync<DeleteRecordsException>(() => admin.DeleteRecordsAsync([new TopicPartitionOffset(tp, 11)]));
        Assert.Equal(ErrorCode.OffsetOutOfRange, beyond.Results[0].Error.Code);
        var toEnd = await admin.DeleteRecordsAsync([new TopicPartitionOffset(tp, Offset.End)]);
        Assert.Equal(10, toEnd[0].Offset.Value);
    }

    [Fact]
    public async Task Describe_cluster_lists_this_node_as_broker_and_controller_with_the_cluster_id()
    {
        using var admin = Admin();
        var cluster = await admin.DescribeClusterAsync();
        // The cluster id the node's journal holds (written at its first start), as Kafka's 22-character base64 id.
        Assert.Equal(fixture.Node.ClusterId, cluster.ClusterId);
        Assert.Matches("^[A-Za-z0-9_-]{22}$", cluster.ClusterId);
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal(fixture.Bootstrap, $"{node.Host}:{node.Port}");
        Assert.Equal(node.Id, cluster.Controller.Id);
    }
}
