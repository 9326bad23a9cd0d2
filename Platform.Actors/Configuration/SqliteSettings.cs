using Akka.Configuration;

namespace Platform.Actors.Configuration;

/// <summary>The <c>platform.storage.sqlite</c> settings of a node on the embedded store, read once per node.</summary>
/// <param name="BusyTimeout">How long a connection waits inside SQLite for the write lock (PRAGMA busy_timeout).</param>
/// <param name="CheckpointInterval">How often the node's checkpointer copies the WAL into the database, off the journal's writer.</param>
/// <param name="WalAutocheckpoint">WAL pages past which a committing connection checkpoints inline (PRAGMA wal_autocheckpoint): the bound.</param>
/// <param name="DirectPartitionWrites">Whether partitions append through the node's own journal writer (<see cref="Storage.SqliteJournalWriter"/>) rather than Akka.Persistence's one write in flight.</param>
/// <param name="ReadMmapSize">Bytes of the database file a journal read maps while it runs (PRAGMA mmap_size); 0 reads with pread.</param>
internal sealed record SqliteSettings(TimeSpan BusyTimeout, TimeSpan CheckpointInterval, int WalAutocheckpoint, bool DirectPartitionWrites = true, long ReadMmapSize = 0)
{
    public static SqliteSettings Create(Config config)
    {
        var section = SettingsSection.Of(config, "platform.storage.sqlite");
        var settings = new SqliteSettings(section.Duration("busy-timeout"), section.Duration("checkpoint-interval"), section.Int("wal-autocheckpoint"),
            section.Bool("direct-partition-writes"), section.Bytes("read-mmap-size"));
        if (settings.BusyTimeout < TimeSpan.Zero || settings.BusyTimeout.TotalMilliseconds > int.MaxValue)
            throw new ArgumentException($"platform.storage.sqlite.busy-timeout must be between 0 and {int.MaxValue} ms, got {settings.BusyTimeout}");
        if (settings.CheckpointInterval <= TimeSpan.Zero)
            throw new ArgumentException($"platform.storage.sqlite.checkpoint-interval must be positive, got {settings.CheckpointInterval}");
        if (settings.WalAutocheckpoint < 1)
            throw new ArgumentException($"platform.storage.sqlite.wal-autocheckpoint must be at least 1 page, got {settings.WalAutocheckpoint}");
        if (settings.ReadMmapSize < 0)
            throw new ArgumentException($"platform.storage.sqlite.read-mmap-size must not be negative, got {settings.ReadMmapSize}");
        return settings;
    }
}
