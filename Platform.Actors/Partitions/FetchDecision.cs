namespace Platform.Actors.Partitions;

/// <summary>What <see cref="PartitionState.Decide(Fetch)"/> makes of a fetch.</summary>
internal abstract record FetchDecision
{
    private FetchDecision()
    {
    }

    /// <summary>Answer at once: an error, an empty result, or batches from the in-memory tail.</summary>
    public sealed record Reply(FetchResult Result) : FetchDecision;

    /// <summary>The fetch is at the log end: wait up to <paramref name="Wait"/> for a batch to arrive.</summary>
    public sealed record Park(TimeSpan Wait) : FetchDecision;

    /// <summary>The tail no longer holds the offset: read these journal events (offsets as of the decision).</summary>
    public sealed record ReadJournal(long FromSequenceNr, long ToSequenceNr, long HighWatermark, long LogStartOffset) : FetchDecision;
}
