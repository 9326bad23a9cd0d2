using Akka;
using Akka.Streams.Dsl;
using Platform.Client.Streams;
using Platform.Client.Streams.Internal;

namespace Platform.Client;

/// <summary>
/// The Akka.Streams sources (as the Akka.Streams Kafka connector's KafkaConsumer): each materialization
/// runs a consumer of its own, on the settings' bootstrap servers (or the connection passed in), reads only
/// on demand and materializes an <see cref="IControl"/>.
/// </summary>
public sealed partial class PlatformConsumer
{
    /// <summary>Records, without commits: for offsets stored elsewhere, or a group with auto-commit.</summary>
    public static Source<ConsumeResult, IControl> PlainSource(ConsumerSettings settings, ISubscription subscription,
        PlatformConnection? connection = null) =>
        Source.FromGraph(new SourceStage<ConsumeResult>("platform-plain-source", settings, subscription, false, connection,
            static (_, record) => record));

    /// <summary>Records with the offset to commit once processed: at-least-once delivery (commit through <see cref="Committer"/>).</summary>
    public static Source<CommittableMessage, IControl> CommittableSource(ConsumerSettings settings, ISubscription subscription,
        PlatformConnection? connection = null) =>
        Source.FromGraph(new SourceStage<CommittableMessage>("platform-committable-source", settings, subscription, true, connection,
            static (session, record) => new CommittableMessage(record, session.Offset(record))));

    /// <summary>Records with their committable offset as the context, for FlowWithContext pipelines
    /// (<see cref="PlatformProducer.FlowWithContext{TContext}"/>, <see cref="Committer.SinkWithOffsetContext{TElement}"/>).</summary>
    public static SourceWithContext<ConsumeResult, ICommittableOffset, IControl> SourceWithOffsetContext(ConsumerSettings settings,
        ISubscription subscription, PlatformConnection? connection = null) =>
        Source.FromGraph(new SourceStage<(ConsumeResult, ICommittableOffset)>("platform-source-with-offset-context", settings, subscription, true,
                connection, static (session, record) => (record, session.Offset(record))))
            .AsSourceWithContext(pair => pair.Item2)
            .Select(pair => pair.Item1);

    /// <summary>One (partition, records) pair per partition assigned to this member (or per manually assigned
    /// partition); a partition's source completes when the group revokes it. Each partition has its own
    /// buffer and backpressure.</summary>
    public static Source<(TopicPartition Partition, Source<ConsumeResult, NotUsed> Source), IControl> PlainPartitionedSource(
        ConsumerSettings settings, ISubscription subscription, PlatformConnection? connection = null) =>
        Source.FromGraph(new PartitionedSourceStage<ConsumeResult>("platform-plain-partitioned-source", settings, subscription, false,
            connection, static (_, record) => record));

    /// <summary>As <see cref="PlainPartitionedSource"/>, with committable offsets; a revoke waits (up to
    /// stop-timeout) for the commits of what the partition's source emitted.</summary>
    public static Source<(TopicPartition Partition, Source<CommittableMessage, NotUsed> Source), IControl> CommittablePartitionedSource(
        ConsumerSettings settings, ISubscription subscription, PlatformConnection? connection = null) =>
        Source.FromGraph(new PartitionedSourceStage<CommittableMessage>("platform-committable-partitioned-source", settings, subscription, true,
            connection, static (session, record) => new CommittableMessage(record, session.Offset(record))));
}
