using Akka.Actor.Setup;

namespace Platform.Actors.Storage;

/// <summary>
/// Counts the write transactions the journal commits to the node's SQLite file, through SQLite's commit hook on the
/// journal's connections. It is how the group commit shows: Akka.Persistence.Sql's one writer (parallelism 1) puts every
/// event that arrived while the last commit ran into the next transaction, so N concurrent batches, of any partitions,
/// become fewer than N commits and fsyncs (<c>platform_journal_transactions</c> beside
/// <c>platform_journal_write_batch</c>). A <see cref="Setup"/> of the ActorSystem, because the hook is installed by the
/// connection options built before the system exists, and one per node, never static: specs run several nodes in one process.
/// </summary>
internal sealed class JournalCommits : Setup
{
    private long _count;

    /// <summary>Write transactions committed since the node started.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>SQLite's commit hook: counts, and returns 0 so that the commit goes ahead.</summary>
    public int Committed(object _)
    {
        Interlocked.Increment(ref _count);
        return 0;
    }
}
