using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.partition</c> and <c>platform.tail-cache</c> settings, read once per node.</summary>
public sealed record PartitionSettings(
    int NumberOfShards,
    int SnapshotEvery,
    long IndexIntervalBytes,
    TimeSpan RetentionCheckInterval,
    TimeSpan MaxFetchWait,
    int MaxJournalReadEvents,
    long TailMaxBytesPerPartition,
    TimeSpan ProducerIdExpiration)
{
    public static PartitionSettings Create(Config config)
    {
        var p = config.GetConfig("platform.partition");
        return new PartitionSettings(
            p.GetInt("number-of-shards"),
            p.GetInt("snapshot-every"),
            p.GetByteSize("index-interval-bytes") ?? 65536,
            p.GetTimeSpan("retention-check-interval"),
            p.GetTimeSpan("max-fetch-wait"),
            p.GetInt("max-journal-read-events"),
            config.GetByteSize("platform.tail-cache.max-bytes-per-partition") ?? 64L * 1024 * 1024,
            p.GetTimeSpan("producer-id-expiration", TimeSpan.FromDays(1)));
    }
}
