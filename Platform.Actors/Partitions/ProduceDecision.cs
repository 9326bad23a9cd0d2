namespace Platform.Actors.Partitions;

/// <summary>What <see cref="PartitionState.Decide(byte[], Topics.TopicConfig, long)"/> makes of a produced batch.</summary>
internal abstract record ProduceDecision
{
    private ProduceDecision()
    {
    }

    /// <summary>
    /// A valid, new batch: it takes the offsets from <paramref name="BaseOffset"/> on. <paramref name="MaxTimestamp"/>
    /// is its largest record timestamp as the validator found it (or the broker's clock for LogAppendTime), what
    /// the stored header will say; <paramref name="LogAppendTime"/> whether the header says the broker set it (the topic's
    /// message.timestamp.type, or the node's).
    /// </summary>
    public sealed record Append(byte[] Batch, long BaseOffset, int RecordCount, long MaxTimestamp, bool LogAppendTime) : ProduceDecision;

    /// <summary>A retry of a batch already taken: answered with the offset it was stored at, appended again never.</summary>
    public sealed record Duplicate(long OriginalBaseOffset) : ProduceDecision;

    /// <summary>Refused with Kafka's error; nothing is appended.</summary>
    public sealed record Reject(ErrorCode Error, string Message) : ProduceDecision;
}
