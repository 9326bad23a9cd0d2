using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.partition</c> settings, with the tail cache's share per partition, read once per node.</summary>
/// <param name="TopicLookupRetry">How often a partition that does not know its topic yet asks the registry again.</param>
/// <param name="JournalReadTimeout">The longest one fetch's read of the journal may take.</param>
public sealed record PartitionSettings(
    int NumberOfShards,
    int SnapshotEvery,
    long IndexIntervalBytes,
    TimeSpan RetentionCheckInterval,
    TimeSpan MaxFetchWait,
    int MaxJournalReadEvents,
    long TailMaxBytesPerPartition,
    TimeSpan ProducerIdExpiration,
    TimeSpan TopicLookupRetry,
    TimeSpan JournalReadTimeout)
{
    public static PartitionSettings Create(Config config)
    {
        var p = SettingsSection.Of(config, "platform.partition");
        return new PartitionSettings(
            p.Int("number-of-shards"),
            p.Int("snapshot-every"),
            p.Bytes("index-interval-bytes"),
            p.Duration("retention-check-interval"),
            p.Duration("max-fetch-wait"),
            p.Int("max-journal-read-events"),
            TailCacheSettings.Create(config).MaxBytesPerPartition,
            p.Duration("producer-id-expiration"),
            p.Duration("topic-lookup-retry"),
            p.Duration("journal-read-timeout"));
    }
}
