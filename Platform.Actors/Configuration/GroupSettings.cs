using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.group</c> settings (Kafka's group.* broker settings), read once per node.</summary>
internal sealed record GroupSettings(
    int NumberOfShards,
    TimeSpan InitialRebalanceDelay,
    int MinSessionTimeoutMs,
    int MaxSessionTimeoutMs,
    int MaxRebalanceTimeoutMs,
    int MaxSize,
    int OffsetMetadataMaxBytes,
    int MaxGroupIdLength,
    TimeSpan PassivateIdleAfter,
    TimeSpan OffsetsRetention,
    int SnapshotEvery,
    TimeSpan Tick,
    TimeSpan RegistrationRetry,
    TimeSpan JournalCheckTimeout)
{
    public static GroupSettings Create(Config config)
    {
        var g = SettingsSection.Of(config, "platform.group");
        return new GroupSettings(
            g.Int("number-of-shards"),
            g.Duration("initial-rebalance-delay"),
            (int)g.Duration("min-session-timeout").TotalMilliseconds,
            (int)g.Duration("max-session-timeout").TotalMilliseconds,
            (int)g.Duration("max-rebalance-timeout").TotalMilliseconds,
            g.Int("max-size"),
            g.Int("offset-metadata-max-bytes"),
            g.Int("max-group-id-length"),
            g.Duration("passivate-idle-after"),
            g.Duration("offsets-retention"),
            g.Int("snapshot-every"),
            g.Duration("tick"),
            g.Duration("registration-retry"),
            g.Duration("journal-check-timeout"));
    }
}
