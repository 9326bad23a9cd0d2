using Akka.Configuration;
using Platform.Actors.Topics;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.node</c> and <c>platform.topic-defaults</c> settings, read once per node.</summary>
/// <param name="MaxTopics">Topics in the cluster, at most.</param>
/// <param name="MaxPartitions">Partitions of all topics in the cluster, at most.</param>
/// <param name="PartitionWakeBatch">Partitions the topic registry starts (after a create, a growth, its own recovery or a member's loss), or tells of a config change or deletion, at a time.</param>
/// <param name="PartitionWakeInterval">The pause between two such batches.</param>
/// <param name="RegistryResubscribeDelay">When the gateway and the Kafka topic cache first subscribe to the topic registry again.</param>
/// <param name="RegistryResubscribeInterval">How often they subscribe again after that (the registry singleton may have moved).</param>
/// <param name="ShardStatsGrace">How much longer than sharding's statistics timeout an asker waits for its (partial) answer.</param>
/// <param name="RegistryRestart">How the topic registry is started again after it stopped on a journal failure.</param>
/// <param name="ReleaseMemoryWhenQuiet">When <see cref="Hosting.PlatformNode.ReleaseMemoryWhenQuietAsync"/> gives memory back; null: never.</param>
internal sealed record NodeSettings(
    bool AutoCreateTopics,
    int AutoCreatePartitions,
    TopicConfig TopicDefaults,
    int MaxPartitionsPerTopic,
    int MaxTopics,
    int MaxPartitions,
    int PartitionWakeBatch,
    TimeSpan PartitionWakeInterval,
    TimeSpan JoinTimeout,
    TimeSpan RegistryResubscribeDelay,
    TimeSpan RegistryResubscribeInterval,
    TimeSpan ShardStatsGrace,
    RestartBackoff RegistryRestart,
    QuietReleaseSettings? ReleaseMemoryWhenQuiet)
{
    public static NodeSettings Create(Config config)
    {
        var node = SettingsSection.Of(config, "platform.node");
        var topics = SettingsSection.Of(config, "platform.topic-defaults");
        var restart = SettingsSection.Of(config, "platform.node.registry-restart-backoff");
        var release = SettingsSection.Of(config, "platform.node.release-memory-when-quiet");
        var settings = new NodeSettings(
            node.Bool("auto-create-topics"),
            node.Int("auto-create-partitions"),
            new TopicConfig(
                topics.Long(TopicConfig.RetentionMsKey),
                topics.Long(TopicConfig.RetentionBytesKey),
                topics.Int(TopicConfig.MaxMessageBytesKey),
                topics.String(TopicConfig.CleanupPolicyKey)),
            node.Int("max-partitions-per-topic"),
            node.Int("max-topics"),
            node.Int("max-partitions"),
            Math.Max(1, node.Int("partition-wake-batch")),
            node.Duration("partition-wake-interval"),
            node.Duration("join-timeout"),
            node.Duration("registry-resubscribe-delay"),
            node.Duration("registry-resubscribe-interval"),
            node.Duration("shard-stats-grace"),
            new RestartBackoff(restart.Duration("min"), restart.Duration("max"), restart.Double("random-factor"), restart.Int("max-waiting")),
            release.Bool("enabled") ? new QuietReleaseSettings(release.Duration("window"), release.Bytes("quiet-allocation"),
                release.Bytes("reclaimable")) : null);
        // Each window is a timer's period: zero would measure nothing and release at every tick.
        if (settings.ReleaseMemoryWhenQuiet is { Window: var window } && window <= TimeSpan.Zero)
            throw new ArgumentException($"platform.node.release-memory-when-quiet.window must be positive, got {window}");
        return settings;
    }
}
