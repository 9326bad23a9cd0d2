using Akka.Actor.Setup;

namespace Platform.Actors.Storage;

/// <summary>
/// Counts the write transactions committed to the node's SQLite file, through SQLite's commit hook, by the journal and
/// by the snapshot store. The journal's count is how the group commit shows: Akka.Persistence.Sql's one writer
/// (parallelism 1) puts every event that arrived while the last commit ran into the next transaction, so N concurrent
/// batches, of any partitions, become fewer than N commits and fsyncs (<c>platform_journal_transactions</c>). The
/// snapshot store's count matters for latency: its writes take SQLite's one write lock from the journal
/// (<c>platform_snapshot_transactions</c>). A <see cref="Setup"/> of the ActorSystem, because the hook is installed by
/// the connection options built before the system exists, and one per node, never static: specs run several nodes in
/// one process.
/// </summary>
internal sealed class StorageCommits : Setup
{
    private long _journal;
    private long _snapshots;

    /// <summary>Write transactions the journal committed since the node started.</summary>
    public long Journal => Interlocked.Read(ref _journal);

    /// <summary>Write transactions the snapshot store committed since the node started.</summary>
    public long Snapshots => Interlocked.Read(ref _snapshots);

    /// <summary>SQLite's commit hook on the journal's connections: counts, and returns 0 so that the commit goes ahead.</summary>
    public int JournalCommitted(object _)
    {
        Interlocked.Increment(ref _journal);
        return 0;
    }

    /// <summary>The same on the snapshot store's connections.</summary>
    public int SnapshotCommitted(object _)
    {
        Interlocked.Increment(ref _snapshots);
        return 0;
    }
}
