using Akka;
using Akka.Streams.Dsl;
using Platform.Client.Streams.Internal;

namespace Platform.Client.Streams;

/// <summary>
/// Commits what a stream processed, in batches (Alpakka's Committer): by count (max-batch) and by time
/// (max-interval), so that an at-least-once pipeline does not pay a commit per record.
/// </summary>
public static class Committer
{
    /// <summary>Batches committables and commits each batch, emitting it once its commit is stored.</summary>
    public static Flow<ICommittable, ICommittableOffsetBatch, NotUsed> Flow(CommitterSettings settings) =>
        Akka.Streams.Dsl.Flow.FromGraph(new CommitCollectorStage(settings))
            .SelectAsync(settings.Parallelism, async batch =>
            {
                await batch.CommitAsync();
                return batch;
            })
            .Named("platform-committer");

    /// <summary>As <see cref="Flow(CommitterSettings)"/>, for committables of a narrower type (e.g. <see cref="ICommittableOffset"/>).</summary>
    public static Flow<T, ICommittableOffsetBatch, NotUsed> Flow<T>(CommitterSettings settings) where T : ICommittable =>
        Akka.Streams.Dsl.Flow.Create<T>().Select(c => (ICommittable)c).Via(Flow(settings));

    /// <summary>Commits in batches; completes when the last batch is committed (or fails with the commit's error).</summary>
    public static Sink<ICommittable, Task<Done>> Sink(CommitterSettings settings) =>
        Flow(settings).ToMaterialized(Akka.Streams.Dsl.Sink.Ignore<ICommittableOffsetBatch>(), Keep.Right);

    /// <summary>As <see cref="Sink(CommitterSettings)"/>, for committables of a narrower type (e.g. <see cref="ICommittableOffset"/>).</summary>
    public static Sink<T, Task<Done>> Sink<T>(CommitterSettings settings) where T : ICommittable =>
        Flow<T>(settings).ToMaterialized(Akka.Streams.Dsl.Sink.Ignore<ICommittableOffsetBatch>(), Keep.Right);

    /// <summary>The committer for a <see cref="SourceWithContext{TOut,TCtx,TMat}"/> pipeline: the elements are
    /// dropped, their offset contexts committed.</summary>
    public static Sink<(TElement, ICommittableOffset), Task<Done>> SinkWithOffsetContext<TElement>(CommitterSettings settings) =>
        Akka.Streams.Dsl.Flow.Create<(TElement, ICommittableOffset)>()
            .Select(pair => (ICommittable)pair.Item2)
            .ToMaterialized(Sink(settings), Keep.Right);
}
