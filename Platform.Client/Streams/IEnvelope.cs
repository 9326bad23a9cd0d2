namespace Platform.Client.Streams;

/// <summary>
/// What FlexiFlow takes (Alpakka's Envelope): zero, one or several records to produce, and a value passed
/// through to the result untouched (typically the committable offset of the record that caused them).
/// Made by <see cref="ProducerMessage"/>.
/// </summary>
public interface IEnvelope<out TPassThrough>
{
    IReadOnlyList<ProducerRecord> Records { get; }

    TPassThrough PassThrough { get; }
}

/// <summary>What FlexiFlow emits for an envelope, in the envelopes' order, once all its records are stored.</summary>
public interface IResults<out TPassThrough>
{
    TPassThrough PassThrough { get; }
}

/// <summary>One record to produce.</summary>
public sealed record SingleMessage<TPassThrough>(ProducerRecord Record, TPassThrough PassThrough) : IEnvelope<TPassThrough>
{
    public IReadOnlyList<ProducerRecord> Records => [Record];
}

/// <summary>Several records to produce, passed on as one result when all are stored.</summary>
public sealed record MultiMessage<TPassThrough>(IReadOnlyList<ProducerRecord> Records, TPassThrough PassThrough) : IEnvelope<TPassThrough>;

/// <summary>Nothing to produce: the pass-through value continues (e.g. an offset to commit for a filtered record).</summary>
public sealed record PassThroughMessage<TPassThrough>(TPassThrough PassThrough) : IEnvelope<TPassThrough>
{
    public IReadOnlyList<ProducerRecord> Records => [];
}

/// <summary>A single record stored: where (<see cref="Metadata"/> carries topic, partition and offset).</summary>
public sealed record Result<TPassThrough>(DeliveryResult Metadata, ProducerRecord Record, TPassThrough PassThrough) : IResults<TPassThrough>
{
    public long Offset => Metadata.Offset;
}

/// <summary>Every record of a <see cref="MultiMessage{TPassThrough}"/> stored.</summary>
public sealed record MultiResult<TPassThrough>(IReadOnlyList<(DeliveryResult Metadata, ProducerRecord Record)> Parts, TPassThrough PassThrough)
    : IResults<TPassThrough>;

/// <summary>A <see cref="PassThroughMessage{TPassThrough}"/> passed on.</summary>
public sealed record PassThroughResult<TPassThrough>(TPassThrough PassThrough) : IResults<TPassThrough>;
