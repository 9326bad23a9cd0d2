namespace Platform.Actors.Partitions;

/// <summary>What <see cref="PartitionState.Decide(DeleteRecordsBefore)"/> makes of Kafka's DeleteRecords.</summary>
internal abstract record DeleteRecordsDecision
{
    private DeleteRecordsDecision()
    {
    }

    /// <summary>Answer at once: the offset is out of range, or the log already starts at or after it.</summary>
    public sealed record Reply(DeleteRecordsResult Result) : DeleteRecordsDecision;

    /// <summary>Persist the move, apply it, then answer with the new log start.</summary>
    public sealed record Advance(LogStartAdvanced Event) : DeleteRecordsDecision;
}
