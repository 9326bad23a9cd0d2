namespace Platform.Client.Streams;

/// <summary>What a committable source emits: the record and the offset to commit once it is processed.</summary>
public sealed record CommittableMessage(ConsumeResult Record, ICommittableOffset CommittableOffset);
