using Platform.Actors;
using Platform.Actors.Topics;

namespace Platform.Specs.Topics;

public class TopicRegistryStateSpecs
{
    private static readonly TopicConfig Defaults = new(604800000, -1, 1048588, "delete");
    private static readonly Dictionary<string, string> NoConfig = new();
    private const int MaxPartitions = 1000;
    private const int FrameLimit = 2 * 1024 * 1024;
    private static readonly TopicLimits Limits = new(MaxPartitionsPerTopic: MaxPartitions, MaxTopics: 5, MaxPartitions: 2500, MaxMessageBytes: FrameLimit);

    private static TopicRegistryState With(string name, int partitions, out TopicInfo topic)
    {
        var decision = TopicRegistryState.Empty.Decide(new CreateTopic(name, partitions, NoConfig), Defaults, Guid.NewGuid(), Limits);
        topic = ((TopicCreated)decision.Event!).Topic;
        return TopicRegistryState.Empty.Apply(decision.Event);
    }

    [Fact]
    public void Create_assigns_the_given_id_and_resolved_config()
    {
        var id = Guid.NewGuid();
        var decision = TopicRegistryState.Empty.Decide(
            new CreateTopic("orders", 3, new Dictionary<string, string> { ["retention.ms"] = "1000" }), Defaults, id, Limits);
        var created = Assert.IsType<TopicCreated>(decision.Event);
        Assert.Equal(new TopicInfo("orders", id, 3, Defaults with { RetentionMs = 1000 }), created.Topic);
    }

    [Theory]
    [InlineData("", ErrorCode.InvalidTopicException)]
    [InlineData("..", ErrorCode.InvalidTopicException)]
    [InlineData("has space", ErrorCode.InvalidTopicException)]
    [InlineData("ünïcode", ErrorCode.InvalidTopicException)]
    public void Create_rejects_names_Kafka_rejects(string name, ErrorCode expected)
    {
        Assert.Equal(expected, TopicRegistryState.Empty.Decide(new CreateTopic(name, 1, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);
    }

    [Fact]
    public void Create_rejects_a_name_longer_than_249_characters() =>
        Assert.Equal(ErrorCode.InvalidTopicException,
            TopicRegistryState.Empty.Decide(new CreateTopic(new string('a', 250), 1, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Create_rejects_fewer_than_one_partition(int partitions) =>
        Assert.Equal(ErrorCode.InvalidPartitions,
            TopicRegistryState.Empty.Decide(new CreateTopic("t", partitions, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);

    [Fact]
    public void Create_rejects_an_existing_name()
    {
        var state = With("t", 1, out _);
        Assert.Equal(ErrorCode.TopicAlreadyExists, state.Decide(new CreateTopic("t", 1, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);
    }

    [Theory]
    [InlineData("retention.ms", "soon")]
    [InlineData("retention.ms", "-2")]
    [InlineData("retention.bytes", "1.5")]
    [InlineData("max.message.bytes", "-1")]
    [InlineData("max.message.bytes", "0")]
    [InlineData("max.message.bytes", "2097153")]
    [InlineData("cleanup.policy", "compact")]
    [InlineData("cleanup.policy", "delete,compact")]
    [InlineData("message.timestamp.type", "WallClock")]
    [InlineData("message.timestamp.before.max.ms", "-1")]
    [InlineData("message.timestamp.after.max.ms", "soon")]
    [InlineData("segment.bytes", "1048576")]
    [InlineData("no.such.config", "1")]
    public void Create_rejects_bad_config_values(string key, string value) =>
        Assert.Equal(ErrorCode.InvalidConfig, TopicRegistryState.Empty.Decide(
            new CreateTopic("t", 1, new Dictionary<string, string> { [key] = value }), Defaults, Guid.NewGuid(), Limits).Error);

    [Fact]
    public void Partitions_only_grow()
    {
        var state = With("t", 3, out var topic);
        Assert.Equal(ErrorCode.InvalidPartitions, state.Decide(new CreatePartitions("t", 2), Limits).Error);
        Assert.Equal(ErrorCode.InvalidPartitions, state.Decide(new CreatePartitions("t", 3), Limits).Error);
        var grow = state.Decide(new CreatePartitions("t", 5), Limits);
        Assert.Equal(5, state.Apply(grow.Event!).Find("t")!.PartitionCount);
        Assert.Equal(topic.TopicId, state.Apply(grow.Event!).Find("t")!.TopicId);
    }

    [Fact]
    public void Deleting_and_recreating_a_name_gives_a_new_topic_id()
    {
        var state = With("t", 1, out var first);
        state = state.Apply(state.Decide(new DeleteTopic("t")).Event!);
        Assert.Null(state.Find("t"));
        var again = state.Decide(new CreateTopic("t", 1, NoConfig), Defaults, Guid.NewGuid(), Limits);
        Assert.NotEqual(first.TopicId, ((TopicCreated)again.Event!).Topic.TopicId);
    }

    [Fact]
    public void Unknown_topics_cannot_be_deleted_or_altered()
    {
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, TopicRegistryState.Empty.Decide(new DeleteTopic("x")).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, TopicRegistryState.Empty.Decide(new CreatePartitions("x", 2), Limits).Error);
    }

    [Fact]
    public void Snapshot_round_trips_the_state()
    {
        var state = With("a", 2, out _);
        var restored = TopicRegistryState.FromSnapshot(state.ToSnapshot());
        Assert.Equal(state.Topics, restored.Topics);
    }

    private static TopicConfigOperation Op(string key, ConfigOperation operation, string? value = null) => new(key, operation, value);

    private static TopicInfo Altered(TopicRegistryState state, AlterTopicConfig command)
    {
        var decision = state.Decide(command, Defaults, Limits);
        Assert.Equal(ErrorCode.None, decision.Error);
        return state.Apply(decision.Event!).Find(command.Name)!;
    }

    [Fact]
    public void Incremental_alter_sets_and_deletes_keys_and_keeps_the_others()
    {
        var state = TopicRegistryState.Empty.Apply(TopicRegistryState.Empty.Decide(new CreateTopic("t", 1,
            new Dictionary<string, string> { ["retention.ms"] = "1000", ["retention.bytes"] = "5000" }), Defaults, Guid.NewGuid(), Limits).Event!);
        var topic = Altered(state, new AlterTopicConfig("t",
            [Op("max.message.bytes", ConfigOperation.Set, "300"), Op("retention.bytes", ConfigOperation.Delete)], Replace: false, ValidateOnly: false));
        Assert.Equal(Defaults with { RetentionMs = 1000, MaxMessageBytes = 300 }, topic.Config);
    }

    [Fact]
    public void Replacing_alter_resets_every_key_not_named_to_the_default()
    {
        var state = TopicRegistryState.Empty.Apply(TopicRegistryState.Empty.Decide(new CreateTopic("t", 1,
            new Dictionary<string, string> { ["retention.ms"] = "1000" }), Defaults, Guid.NewGuid(), Limits).Event!);
        var topic = Altered(state, new AlterTopicConfig("t", [Op("max.message.bytes", ConfigOperation.Set, "300")], Replace: true, ValidateOnly: false));
        Assert.Equal(Defaults with { MaxMessageBytes = 300 }, topic.Config);
    }

    [Fact]
    public void Append_and_subtract_apply_to_list_configs_only()
    {
        var state = With("t", 1, out _);
        Assert.Equal("delete", Altered(state, new AlterTopicConfig("t", [Op("cleanup.policy", ConfigOperation.Append, "delete")], false, false)).Config.CleanupPolicy);
        Assert.Equal(ErrorCode.InvalidConfig,
            state.Decide(new AlterTopicConfig("t", [Op("cleanup.policy", ConfigOperation.Append, "compact")], false, false), Defaults, Limits).Error);
        Assert.Equal(ErrorCode.InvalidConfig,
            state.Decide(new AlterTopicConfig("t", [Op("retention.ms", ConfigOperation.Append, "1")], false, false), Defaults, Limits).Error);
    }

    [Theory]
    [InlineData("retention.ms", "soon", ErrorCode.InvalidConfig)]
    [InlineData("no.such.config", "1", ErrorCode.InvalidConfig)]
    [InlineData("retention.ms", null, ErrorCode.InvalidRequest)]
    public void Alter_rejects_what_create_would_reject(string key, string? value, ErrorCode expected)
    {
        var state = With("t", 1, out _);
        Assert.Equal(expected, state.Decide(new AlterTopicConfig("t", [Op(key, ConfigOperation.Set, value)], false, false), Defaults, Limits).Error);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition,
            state.Decide(new AlterTopicConfig("x", [Op("retention.ms", ConfigOperation.Set, "1")], false, false), Defaults, Limits).Error);
    }

    [Fact]
    public void A_preview_shows_the_topic_as_the_event_would_leave_it_without_changing_the_state()
    {
        var state = With("t", 2, out _);
        var grow = state.Decide(new CreatePartitions("t", 6), Limits).Event!;
        Assert.Equal(6, state.TopicAfter(grow)!.PartitionCount);
        Assert.Equal(2, state.Find("t")!.PartitionCount);
    }
    [Fact]
    public void A_partition_count_above_the_limit_is_refused_on_create_and_on_growth()
    {
        Assert.Equal(ErrorCode.InvalidPartitions,
            TopicRegistryState.Empty.Decide(new CreateTopic("huge", 2_000_000_000, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);
        var created = TopicRegistryState.Empty.Decide(new CreateTopic("t", MaxPartitions, NoConfig), Defaults, Guid.NewGuid(), Limits);
        Assert.Equal(ErrorCode.None, created.Error);
        var state = TopicRegistryState.Empty.Apply(created.Event!);
        Assert.Equal(ErrorCode.InvalidPartitions, state.Decide(new CreatePartitions("t", MaxPartitions + 1), Limits).Error);
    }

    [Fact]
    public void Topics_beyond_the_clusters_limit_are_a_POLICY_VIOLATION_and_so_are_partitions_beyond_its_total()
    {
        var state = TopicRegistryState.Empty;
        for (var i = 0; i < Limits.MaxTopics; i++)
            state = state.Apply(state.Decide(new CreateTopic($"t{i}", 500, NoConfig), Defaults, Guid.NewGuid(), Limits).Event!);
        Assert.Equal(2500, state.PartitionCount);
        var sixth = state.Decide(new CreateTopic("sixth", 1, NoConfig), Defaults, Guid.NewGuid(), Limits);
        Assert.Equal(ErrorCode.PolicyViolation, sixth.Error);
        Assert.Contains("platform.node.max-topics = 5", sixth.Message);

        state = state.Apply(state.Decide(new DeleteTopic("t4")).Event!);
        var tooMany = state.Decide(new CreateTopic("big", 501, NoConfig), Defaults, Guid.NewGuid(), Limits);
        Assert.Equal(ErrorCode.PolicyViolation, tooMany.Error);
        Assert.Contains("platform.node.max-partitions = 2500", tooMany.Message);
        Assert.Equal(ErrorCode.None, state.Decide(new CreateTopic("big", 500, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);
        var grown = state.Decide(new CreatePartitions("t0", 1000), Limits);
        Assert.Equal(ErrorCode.None, grown.Error);
        state = state.Apply(grown.Event!);
        Assert.Equal(2500, state.PartitionCount);
        var beyond = state.Decide(new CreatePartitions("t1", 501), Limits);
        Assert.Equal(ErrorCode.PolicyViolation, beyond.Error);
        Assert.Equal(500, state.Find("t1")!.PartitionCount);
    }

    [Theory]
    [InlineData("metrics.a_b", "metrics_a.b")]
    [InlineData("metrics.a_b", "metrics.a.b")]
    [InlineData("x_y", "x.y")]
    public void A_name_that_collides_on_dot_and_underscore_is_refused_as_Kafka_does(string existing, string name)
    {
        var state = With(existing, 1, out _);
        var decision = state.Decide(new CreateTopic(name, 1, NoConfig), Defaults, Guid.NewGuid(), Limits);
        Assert.Equal(ErrorCode.InvalidTopicException, decision.Error);
        Assert.Equal($"Topic '{name}' collides with existing topic: {existing}", decision.Message);
        Assert.Equal(ErrorCode.TopicAlreadyExists, state.Decide(new CreateTopic(existing, 1, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);
        Assert.Equal(ErrorCode.None, state.Decide(new CreateTopic("x-y", 1, NoConfig), Defaults, Guid.NewGuid(), Limits).Error);
    }

    [Fact]
    public void Message_timestamp_settings_are_overrides_that_delete_gives_back_to_the_node()
    {
        var state = TopicRegistryState.Empty.Apply(TopicRegistryState.Empty.Decide(new CreateTopic("t", 1,
            new Dictionary<string, string> { ["message.timestamp.type"] = "LogAppendTime" }), Defaults, Guid.NewGuid(), Limits).Event!);
        Assert.Equal(Defaults with { MessageTimestampType = "LogAppendTime" }, state.Find("t")!.Config);
        var altered = Altered(state, new AlterTopicConfig("t",
            [Op("message.timestamp.type", ConfigOperation.Delete, null), Op("message.timestamp.after.max.ms", ConfigOperation.Set, "60000")], false, false));
        Assert.Equal(Defaults with { MessageTimestampAfterMaxMs = 60000 }, altered.Config);
        Assert.Equal([new KeyValuePair<string, string>("message.timestamp.after.max.ms", "60000")], altered.Config.Overrides());
    }
}
