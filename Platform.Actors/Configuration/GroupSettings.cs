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
        var settings = new GroupSettings(
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
        // Every OffsetFetch waits on this check: zero would answer each one COORDINATOR_NOT_AVAILABLE, for good.
        if (settings.JournalCheckTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"platform.group.journal-check-timeout must be positive, got {settings.JournalCheckTimeout}");
        return settings;
    }
}
