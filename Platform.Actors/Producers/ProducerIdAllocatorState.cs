namespace Platform.Actors.Producers;

/// <summary>
/// The producer id allocator's logic without an actor. Ids come from a reserved block
/// [<see cref="NextProducerId"/>, <see cref="ReservedUpTo"/>); when it is used up, <see cref="Decide"/> asks
/// for the next block to be persisted first. An incarnation that recovers cannot know how much of the last
/// block was handed out, so <see cref="Recovered"/> skips the rest of it: ids may be wasted, never repeated.
/// </summary>
internal sealed class ProducerIdAllocatorState
{
    public static readonly ProducerIdAllocatorState Empty = new(0, 0);

    private ProducerIdAllocatorState(long nextProducerId, long reservedUpTo)
    {
        NextProducerId = nextProducerId;
        ReservedUpTo = reservedUpTo;
    }

    /// <summary>The id the next request gets, if it is below <see cref="ReservedUpTo"/>.</summary>
    public long NextProducerId { get; }

    /// <summary>The end (exclusive) of the last block in the journal.</summary>
    public long ReservedUpTo { get; }

    /// <summary>Exactly one of: an id to hand out now, a block to persist first, or a Kafka error.</summary>
    public readonly record struct Decision(long ProducerId, ProducerIdBlockReserved? Reserve, ErrorCode Error, string? Message)
    {
        public static Decision HandOut(long producerId) => new(producerId, null, ErrorCode.None, null);
        public static Decision ReserveFirst(ProducerIdBlockReserved block) => new(-1, block, ErrorCode.None, null);
        public static Decision Reject(ErrorCode error, string message) => new(-1, null, error, message);
    }

    public Decision Decide(int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "A block holds at least one id");
        if (NextProducerId < ReservedUpTo) return Decision.HandOut(NextProducerId);
        if (ReservedUpTo > long.MaxValue - blockSize)
            return Decision.Reject(ErrorCode.UnknownServerError, $"Producer ids are exhausted: {ReservedUpTo} are reserved");
        return Decision.ReserveFirst(new ProducerIdBlockReserved(ReservedUpTo, ReservedUpTo + blockSize));
    }

    /// <summary>The state after <paramref name="producerId"/>, which <see cref="Decide"/> offered, was handed out.</summary>
    public ProducerIdAllocatorState HandedOut(long producerId)
    {
        if (producerId != NextProducerId || producerId >= ReservedUpTo)
            throw new InvalidOperationException($"Producer id {producerId} is not the next free one ({NextProducerId} of a block up to {ReservedUpTo})");
        return new(producerId + 1, ReservedUpTo);
    }

    /// <summary>A persisted block, live or replayed; a block never moves the reservation backwards.</summary>
    public ProducerIdAllocatorState Apply(ProducerIdBlockReserved e) =>
        e.FirstProducerId < ReservedUpTo || e.EndProducerId <= e.FirstProducerId ? this : new(e.FirstProducerId, e.EndProducerId);

    /// <summary>After replay: the rest of the last block may have gone to producers before the restart.</summary>
    public ProducerIdAllocatorState Recovered() => new(ReservedUpTo, ReservedUpTo);

    public ProducerIdAllocatorSnapshot ToSnapshot() => new(ReservedUpTo);

    /// <summary>A snapshot is taken right after a block was reserved; as after any restart, none of it is reused.</summary>
    public static ProducerIdAllocatorState FromSnapshot(ProducerIdAllocatorSnapshot snapshot) => new(snapshot.ReservedUpTo, snapshot.ReservedUpTo);
}
