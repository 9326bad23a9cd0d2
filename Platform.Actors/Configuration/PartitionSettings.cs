using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.partition</c> settings, with the tail cache's share per partition, read once per node.</summary>
/// <param name="TopicLookupRetry">How often a partition that does not know its topic yet asks the registry again.</param>
/// <param name="JournalReadTimeout">The longest one fetch's read of the journal may take.</param>
/// <param name="LogAppendTime">Kafka's log.message.timestamp.type = LogAppendTime: the broker's clock replaces record timestamps.</param>
/// <param name="TimestampBeforeMaxMs">How far behind the broker's clock a CreateTime timestamp may be (difference.max.ms applied).</param>
/// <param name="TimestampAfterMaxMs">How far ahead of it (difference.max.ms applied).</param>
/// <param name="MaxParkedFetches">Fetches one partition holds at its log end (long polls), and as many again waiting for a journal reader.</param>
/// <param name="MaxJournalReaders">Journal reads one partition runs at once; more wait for one to finish.</param>
/// <param name="SnapshotDeleteEvery">Saves of a snapshot between two deletes of the older ones.</param>
/// <param name="MaxProducers">Idempotent producers one partition remembers; the longest silent goes first beyond it.</param>
/// <param name="IdleJournalCheck">How long a partition serves fetches at its log end without writing before it asks the journal whether another incarnation wrote meanwhile.</param>
internal sealed record PartitionSettings(
    int NumberOfShards,
    int SnapshotEvery,
    long IndexIntervalBytes,
    TimeSpan RetentionCheckInterval,
    TimeSpan MaxFetchWait,
    int MaxJournalReadEvents,
    long TailMaxBytesPerPartition,
    TimeSpan ProducerIdExpiration,
    TimeSpan TopicLookupRetry,
    TimeSpan JournalReadTimeout,
    bool LogAppendTime,
    long TimestampBeforeMaxMs,
    long TimestampAfterMaxMs,
    int MaxProducers,
    int MaxParkedFetches,
    int MaxJournalReaders,
    int SnapshotDeleteEvery,
    TimeSpan IdleJournalCheck)
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
            p.Duration("journal-read-timeout"),
            TimestampType(p.String("message-timestamp-type")),
            NonNegative(Math.Min(p.Long("message-timestamp-before-max-ms"), p.Long("message-timestamp-difference-max-ms")), "message-timestamp-before-max-ms"),
            NonNegative(Math.Min(p.Long("message-timestamp-after-max-ms"), p.Long("message-timestamp-difference-max-ms")), "message-timestamp-after-max-ms"),
            (int)NonNegative(p.Int("max-producers"), "max-producers"),
            Math.Max(1, p.Int("max-parked-fetches")),
            Math.Max(1, p.Int("max-journal-readers")),
            Math.Max(1, p.Int("snapshot-delete-every")),
            p.Duration("idle-journal-check"));
    }

    /// <summary>
    /// The window a CreateTime record's timestamp must fall in at <paramref name="nowMs"/>, and whether the broker's
    /// clock replaces timestamps: the topic's message.timestamp.* where it sets them, this node's settings where not.
    /// </summary>
    public Platform.Protocol.Records.TimestampWindow TimestampWindow(long nowMs, Topics.TopicConfig topic) =>
        new(nowMs, topic.MessageTimestampBeforeMaxMs ?? TimestampBeforeMaxMs, topic.MessageTimestampAfterMaxMs ?? TimestampAfterMaxMs,
            topic.MessageTimestampType is { } type ? type == Topics.TopicConfig.LogAppendTime : LogAppendTime);

    private static bool TimestampType(string value) => value switch
    {
        "CreateTime" => false,
        "LogAppendTime" => true,
        _ => throw new ArgumentException($"platform.partition.message-timestamp-type must be CreateTime or LogAppendTime, got '{value}'"),
    };

    private static long NonNegative(long value, string name) =>
        value >= 0 ? value : throw new ArgumentException($"platform.partition.{name} must not be negative, got {value}");
}
