namespace Platform.Client.Streams;

/// <summary>Something that can be committed: one record's offset or a batch of them (what Committer.Sink takes).</summary>
public interface ICommittable
{
    /// <summary>Commits, completing when the group coordinator has stored the offsets.</summary>
    Task CommitAsync();

    /// <summary>How many offsets this stands for (one for a single offset).</summary>
    long BatchSize { get; }
}

/// <summary>The offset of one consumed record, committable to its source's group.</summary>
public interface ICommittableOffset : ICommittable
{
    GroupTopicPartitionOffset PartitionOffset { get; }
}

/// <summary>Offsets gathered for one commit: the highest per partition (Alpakka's CommittableOffsetBatch).</summary>
public interface ICommittableOffsetBatch : ICommittable
{
    /// <summary>The highest consumed offset per group and partition (the commit stores the next one, offset + 1).</summary>
    IReadOnlyDictionary<GroupTopicPartition, long> Offsets { get; }

    bool IsEmpty { get; }

    /// <summary>A batch with <paramref name="committable"/>'s offsets added; this one is unchanged.</summary>
    ICommittableOffsetBatch Updated(ICommittable committable);
}
