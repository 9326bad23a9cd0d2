namespace Platform.Client.Streams;

/// <summary>
/// Builds FlexiFlow's envelopes, as Alpakka's ProducerMessage. The overloads taking a committable offset
/// pass it on as an <see cref="ICommittable"/>, so that the results go straight into Committer.Sink.
/// </summary>
public static class ProducerMessage
{
    public static IEnvelope<TPassThrough> Single<TPassThrough>(ProducerRecord record, TPassThrough passThrough) =>
        new SingleMessage<TPassThrough>(record, passThrough);

    public static IEnvelope<ICommittable> Single(ProducerRecord record, ICommittableOffset offset) =>
        new SingleMessage<ICommittable>(record, offset);

    public static IEnvelope<ICommittable> Single(ProducerRecord record, ICommittableOffsetBatch offsets) =>
        new SingleMessage<ICommittable>(record, offsets);

    public static IEnvelope<Akka.NotUsed> Single(ProducerRecord record) => new SingleMessage<Akka.NotUsed>(record, Akka.NotUsed.Instance);

    public static IEnvelope<TPassThrough> Multi<TPassThrough>(IEnumerable<ProducerRecord> records, TPassThrough passThrough) =>
        new MultiMessage<TPassThrough>(records.ToList(), passThrough);

    public static IEnvelope<ICommittable> Multi(IEnumerable<ProducerRecord> records, ICommittableOffset offset) =>
        new MultiMessage<ICommittable>(records.ToList(), offset);

    public static IEnvelope<TPassThrough> PassThrough<TPassThrough>(TPassThrough passThrough) => new PassThroughMessage<TPassThrough>(passThrough);

    public static IEnvelope<ICommittable> PassThrough(ICommittableOffset offset) => new PassThroughMessage<ICommittable>(offset);
}
