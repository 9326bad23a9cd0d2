using Akka.Actor.Setup;

namespace Platform.Actors.Storage;

/// <summary>
/// What the node's <see cref="SqliteCheckpointer"/> did: its passes, those that copied the whole log (after which the
/// next commit starts the log over) and the WAL's size at the last pass (<c>platform_wal_checkpoints</c>,
/// <c>platform_wal_checkpoints_complete</c>, <c>platform_wal_frames</c>). A <see cref="Setup"/> of the ActorSystem, as
/// <see cref="StorageCommits"/>, so that the node's metrics find it; one per node, never static.
/// </summary>
internal sealed class WalCheckpoints : Setup
{
    private long _passes;
    private long _complete;
    private long _walFrames;

    /// <summary>Checkpoint passes run by the node's checkpointer since the node started.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Passes that found every frame of the log copied into the database file.</summary>
    public long CompletePasses => Interlocked.Read(ref _complete);

    /// <summary>Frames in the WAL at the last pass (the log since it last started over).</summary>
    public long WalFrames => Interlocked.Read(ref _walFrames);

    /// <summary>One pass's outcome, as <c>PRAGMA wal_checkpoint</c> reports it: frames in the log, frames copied of them.</summary>
    public void Passed(long walFrames, long copiedFrames)
    {
        Interlocked.Increment(ref _passes);
        if (copiedFrames >= walFrames) Interlocked.Increment(ref _complete);
        Interlocked.Exchange(ref _walFrames, walFrames);
    }
}
