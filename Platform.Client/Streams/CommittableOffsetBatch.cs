using System.Collections.Immutable;
using Platform.Client.Streams.Internal;

namespace Platform.Client.Streams;

/// <summary>
/// An immutable batch of offsets keeping the highest per group and partition; committing it commits each
/// partition's next offset (offset + 1) through the source that consumed it. Committer.Flow emits these.
/// </summary>
public sealed class CommittableOffsetBatch : ICommittableOffsetBatch
{
    private readonly ImmutableDictionary<GroupTopicPartition, (long Offset, ICommitter Committer)> _entries;

    private CommittableOffsetBatch(ImmutableDictionary<GroupTopicPartition, (long, ICommitter)> entries, long batchSize)
    {
        _entries = entries;
        BatchSize = batchSize;
    }

    public static CommittableOffsetBatch Empty { get; } = new(ImmutableDictionary<GroupTopicPartition, (long, ICommitter)>.Empty, 0);

    public static CommittableOffsetBatch Create(IEnumerable<ICommittable> committables) =>
        committables.Aggregate(Empty, (batch, c) => batch.Add(c));

    public long BatchSize { get; }

    internal IReadOnlyDictionary<GroupTopicPartition, (long Offset, ICommitter Committer)> Entries => _entries;

    public bool IsEmpty => _entries.IsEmpty;

    public IReadOnlyDictionary<GroupTopicPartition, long> Offsets => _entries.ToImmutableDictionary(e => e.Key, e => e.Value.Offset);

    public ICommittableOffsetBatch Updated(ICommittable committable) => Add(committable);

    private CommittableOffsetBatch Add(ICommittable committable)
    {
        switch (committable)
        {
            case CommittableOffset offset:
            {
                var key = offset.PartitionOffset.Key;
                var entries = _entries.TryGetValue(key, out var current) && current.Offset >= offset.PartitionOffset.Offset
                    ? _entries
                    : _entries.SetItem(key, (offset.PartitionOffset.Offset, offset.Committer));
                return new CommittableOffsetBatch(entries, BatchSize + 1);
            }
            case CommittableOffsetBatch batch:
            {
                var entries = _entries;
                foreach (var (key, value) in batch._entries)
                    if (!entries.TryGetValue(key, out var current) || current.Offset < value.Offset) entries = entries.SetItem(key, value);
                return new CommittableOffsetBatch(entries, BatchSize + batch.BatchSize);
            }
            default:
                throw new ArgumentException($"{committable.GetType().Name} did not come from a Platform source", nameof(committable));
        }
    }

    /// <summary>Commits every partition's next offset, one request per source that consumed them.</summary>
    public Task CommitAsync() =>
        IsEmpty
            ? Task.CompletedTask
            : Task.WhenAll(_entries.GroupBy(e => e.Value.Committer).Select(group => group.Key.CommitAsync(
                group.Select(e => new TopicPartitionOffset(e.Key.Topic, e.Key.Partition, e.Value.Offset + 1)).ToList())));

    internal static CommittableOffsetBatch From(Dictionary<GroupTopicPartition, (long Offset, ICommitter Committer)> entries, long batchSize) =>
        new(entries.ToImmutableDictionary(e => e.Key, e => e.Value), batchSize);

    public override string ToString() =>
        $"CommittableOffsetBatch({string.Join(", ", _entries.Select(e => $"{e.Key}@{e.Value.Offset}"))})";
}
