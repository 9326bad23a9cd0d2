using Platform.Actors.Serialization;

namespace Platform.Actors.Producers;

/// <summary>
/// Asks the cluster's producer id allocator for a new idempotent producer id: what a broker needs to answer
/// Kafka's InitProducerId. A producer without a transactional id always gets a fresh id, as in Kafka.
/// </summary>
internal sealed record AllocateProducerId : IPlatformMessage
{
    public static readonly AllocateProducerId Instance = new();
}

/// <summary>
/// The answer to <see cref="AllocateProducerId"/>: an id no producer got before, with epoch 0; on an error,
/// id and epoch are -1 as in Kafka's InitProducerId response.
/// </summary>
internal sealed record ProducerIdAllocated(ErrorCode Error, string? ErrorMessage, long ProducerId, short ProducerEpoch) : IPlatformMessage;

// Journal event and snapshot of the allocator.

/// <summary>
/// The allocator reserved the ids [<paramref name="FirstProducerId"/>, <paramref name="EndProducerId"/>): it
/// hands them out without another journal write, and after a restart starts at <paramref name="EndProducerId"/>
/// (Kafka's controller hands brokers blocks of ids the same way).
/// </summary>
internal sealed record ProducerIdBlockReserved(long FirstProducerId, long EndProducerId) : IPlatformMessage;

/// <summary>The end of the last reserved block: all a restarted allocator needs.</summary>
internal sealed record ProducerIdAllocatorSnapshot(long ReservedUpTo) : IPlatformMessage;

/// <summary>
/// Asks the allocator how far it has handed out ids: every id below the answer came from InitProducerId.
/// What a Kafka listener needs to refuse a produce that names an id no producer was given.
/// </summary>
internal sealed record GetProducerIdBound : IPlatformMessage
{
    public static readonly GetProducerIdBound Instance = new();
}

/// <summary>The answer to <see cref="GetProducerIdBound"/>: ids below <paramref name="HandedOutUpTo"/> may have been handed out.</summary>
internal sealed record ProducerIdBound(long HandedOutUpTo) : IPlatformMessage;
