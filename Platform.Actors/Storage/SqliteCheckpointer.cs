using Akka.Event;
using Microsoft.Data.Sqlite;
using Platform.Actors.Configuration;

namespace Platform.Actors.Storage;

/// <summary>
/// Checkpoints the node's SQLite WAL (copies committed pages into the database file, so that the log can start over)
/// on a thread and a connection of its own, every <see cref="SqliteSettings.CheckpointInterval"/> while anything is
/// being committed.
/// <para>
/// Why: SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages, on the committing
/// connection. For the journal that is its one writer (Akka.Persistence.Sql, parallelism 1): at 10,000 records/s every
/// ~300th commit also copied hundreds of pages and fsynced the database file, and the acknowledgements of that batch
/// and of every batch queued behind it waited (issue #16's paced latency). A PASSIVE checkpoint takes no write lock,
/// so here it runs beside the writer; a pass that copies the whole log (the writer paused for its length, which at a
/// paced rate it usually does) lets the next commit start the log over, overwriting its blocks rather than growing the
/// file. A writer that never pauses leaves a tail behind each pass; <c>wal-autocheckpoint</c> (applied to every
/// persistence connection by <see cref="SqliteStorage.Pragmas"/>) still bounds the log, and the inline checkpoint it
/// triggers then copies only what the passes had not.
/// </para>
/// <para>
/// Durability is unchanged: commits still fsync the WAL before an acknowledgement (synchronous = FULL), and this
/// connection's FULL makes each checkpoint fsync the database file before the log may start over.
/// </para>
/// </summary>
internal sealed class SqliteCheckpointer : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteSettings _settings;
    private readonly StorageCommits _commits;
    private readonly WalCheckpoints _checkpoints;
    private readonly ILoggingAdapter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _lastCommits = -1;
    private int _stopped;

    public SqliteCheckpointer(string connectionString, SqliteSettings settings, StorageCommits commits, WalCheckpoints checkpoints, ILoggingAdapter log)
    {
        // A connection outside the pool: it lives as long as the checkpointer and is never handed to the journal.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _settings = settings;
        _commits = commits;
        _checkpoints = checkpoints;
        _log = log;
        // A thread of its own, not the thread pool: a pass blocks in SQLite's writes and fsync for milliseconds.
        _thread = new Thread(Run) { IsBackground = true, Name = "sqlite-checkpointer" };
        _thread.Start();
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        try
        {
            while (!_stop.Token.WaitHandle.WaitOne(_settings.CheckpointInterval))
            {
                // Idle nodes do nothing: only commits add to the log.
                var commits = _commits.Journal + _commits.Snapshots;
                if (commits == _lastCommits) continue;
                try
                {
                    connection ??= Open();
                    Pass(connection);
                    _lastCommits = commits;
                }
                catch (Exception e)
                {
                    // The database may be briefly unavailable; the next interval tries again on a fresh connection. Never
                    // rethrown: an exception escaping this thread would end the node's process.
                    _log.Warning("SQLite WAL checkpoint failed: {Reason}", e.Message);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // Never an inline checkpoint of its own (it writes nothing), and FULL so that a checkpoint fsyncs the database.
        command.CommandText = "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0;";
        command.ExecuteNonQuery();
        return connection;
    }

    private void Pass(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return;
        // (busy, frames in the log, frames of it now in the database file), both counted since the log started over.
        _checkpoints.Passed(reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>
    /// Tells the thread to stop and returns at once: it runs among the ActorSystem's termination callbacks, beside the
    /// release of the data directory's lock, which must not wait for a pass in progress (a node restarted on the same
    /// directory found the lock still held). A pass that finishes after it is harmless: it only copies committed pages.
    /// </summary>
    public void Dispose()
    {
        // The token source is left to the GC: the thread may still be reading its wait handle.
        if (Interlocked.Exchange(ref _stopped, 1) == 0) _stop.Cancel();
    }
}
