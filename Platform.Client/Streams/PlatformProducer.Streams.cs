using Akka;
using Akka.Streams.Dsl;
using Platform.Client.Streams;
using Platform.Client.Streams.Internal;

namespace Platform.Client;

/// <summary>
/// The Akka.Streams producer stages (as the Akka.Streams Kafka connector's KafkaProducer): each
/// materialization runs a producer of its own, on the settings' bootstrap servers (or the connection passed
/// in), with at most the settings' parallelism records in flight.
/// </summary>
public sealed partial class PlatformProducer
{
    /// <summary>Produces every record; completes when all are stored, fails on the first that cannot be.</summary>
    public static Sink<ProducerRecord, Task<Done>> PlainSink(ProducerSettings settings, PlatformConnection? connection = null) =>
        Sink.FromGraph(new ProducerSinkStage(settings, connection));

    /// <summary>
    /// Produces each envelope's records (none, one or several) and emits its result, in order, once they
    /// are stored; the pass-through value rides along (typically the offset to commit).
    /// </summary>
    public static Flow<IEnvelope<TPassThrough>, IResults<TPassThrough>, NotUsed> FlexiFlow<TPassThrough>(ProducerSettings settings,
        PlatformConnection? connection = null) =>
        Flow.FromGraph(new ProducerStage<TPassThrough>(settings, connection));

    /// <summary>FlexiFlow for the common at-least-once pipeline: committable offsets pass through
    /// (<see cref="ProducerMessage"/>'s committable overloads make these envelopes).</summary>
    public static Flow<IEnvelope<ICommittable>, IResults<ICommittable>, NotUsed> FlexiFlow(ProducerSettings settings,
        PlatformConnection? connection = null) =>
        FlexiFlow<ICommittable>(settings, connection);

    /// <summary>Produces, then commits the pass-through offsets in batches: the end of a consume-transform-produce pipeline.</summary>
    public static Sink<IEnvelope<ICommittable>, Task<Done>> CommittableSink(ProducerSettings settings, CommitterSettings committerSettings,
        PlatformConnection? connection = null) =>
        FlexiFlow(settings, connection)
            .Select(result => result.PassThrough)
            .ToMaterialized(Committer.Sink(committerSettings), Keep.Right)
            .Named("platform-committable-sink");

    /// <summary>FlexiFlow for FlowWithContext pipelines: the context (e.g. the committable offset) passes through.</summary>
    public static FlowWithContext<IEnvelope<NotUsed>, TContext, IResults<TContext>, TContext, NotUsed> FlowWithContext<TContext>(
        ProducerSettings settings, PlatformConnection? connection = null) =>
        Flow.Create<(IEnvelope<NotUsed>, TContext)>()
            .Select(pair => WithPassThrough(pair.Item1, pair.Item2))
            .Via(FlexiFlow<TContext>(settings, connection))
            .AsFlowWithContext<IEnvelope<NotUsed>, TContext, IResults<TContext>, TContext, NotUsed, (IEnvelope<NotUsed>, TContext)>(
                (envelope, context) => (envelope, context), result => result.PassThrough);

    private static IEnvelope<TContext> WithPassThrough<TContext>(IEnvelope<NotUsed> envelope, TContext context) => envelope switch
    {
        SingleMessage<NotUsed> single => new SingleMessage<TContext>(single.Record, context),
        PassThroughMessage<NotUsed> => new PassThroughMessage<TContext>(context),
        _ => new MultiMessage<TContext>(envelope.Records, context),
    };
}
