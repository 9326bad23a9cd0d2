using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql.Config;
using Akka.Serialization;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Platform.Actors.Configuration;

namespace Platform.Actors.Storage;

/// <summary>
/// The partitions' journal writer on the embedded store: one thread and one connection that commit, in one SQLite
/// transaction, every append queued while the previous transaction ran, in the order they were queued, into
/// Akka.Persistence.Sql's own journal table (the same rows its plugin writes, so recovery, the journal's reads and an
/// older node's data are unchanged).
/// <para>
/// Why not the plugin: Akka.Persistence lets a persistent actor have one journal write in flight. A batch that reached
/// a partition while its previous write was under way waited for that round trip, then for a transaction of its own;
/// the paced run's slowest 1 % saw six transactions open before their own (issue #16, "Paced latency"). Here a
/// partition sends each batch as soon as it decides it, so a batch waits at most for the transaction in progress.
/// Fewer hops as well: no Akka.Streams queue, no connection pool, no linq2db query per write.
/// </para>
/// <para>
/// Order and forks. A partition's appends carry consecutive sequence numbers and are committed in the order queued;
/// once one of an incarnation's appends fails, every later append of that incarnation is refused without being tried
/// (<see cref="WriteStream"/>), so its log never has a gap. The journal's unique key on (persistence id, sequence
/// number) still refuses a second writer: that append alone fails (SQLite undoes the statement, not the transaction),
/// the others in the transaction are committed.
/// </para>
/// <para>
/// The journal plugin's own writes and deletes come through here too (<see cref="SqliteWriteJournal"/>), so one
/// connection writes the journal's file; replays and reads of the highest sequence number stay the plugin's (reads
/// take no write lock), snapshots have a file of their own.
/// </para>
/// </summary>
internal sealed class SqliteJournalWriter : IDisposable
{
    private readonly string _connectionString;
    private readonly string _pragmas;
    private readonly string _insert;
    private readonly string[] _delete;
    private readonly string _writerUuid = Guid.NewGuid().ToString("N");
    private readonly Akka.Serialization.Serialization _serialization;
    private readonly StorageCommits? _commits;
    private readonly ILoggingAdapter _log;
    private readonly object _gate = new();
    private List<Job> _queue = [];
    private readonly Thread _thread;
    private bool _stopping;
    private int _inFlight;
    /// <summary>Completed when the thread has committed what was queued and closed its connection.</summary>
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SqliteJournalWriter(string connectionString, string pragmas, string insert, string[] delete,
        Akka.Serialization.Serialization serialization, StorageCommits? commits, ILoggingAdapter log)
    {
        // Outside the pool: this connection lives as long as the writer and nothing else ever uses it.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _pragmas = pragmas;
        _insert = insert;
        _delete = delete;
        _serialization = serialization;
        _commits = commits;
        _log = log;
        // A thread of its own, not the thread pool: it blocks in SQLite's commit (the fsync) for the whole transaction.
        _thread = new Thread(Run) { IsBackground = true, Name = "journal-writer" };
        _thread.Start();
    }

    /// <summary>The writer of the node's SQLite journal; null on other stores or where the settings turn it off.</summary>
    public static SqliteJournalWriter? For(ActorSystem system) => system.WithExtension<Holder, HolderProvider>().Writer;

    internal static SqliteJournalWriter? Create(ExtendedActorSystem system)
    {
        var config = system.Settings.Config;
        if (!SqliteStorage.IsSqlite(config)) return null;
        var settings = SqliteSettings.Create(config);
        if (!settings.DirectPartitionWrites) return null;
        var journal = config.GetConfig("akka.persistence.journal.sql");
        var tables = new JournalTableConfig(journal);
        var table = string.IsNullOrEmpty(tables.SchemaName) ? tables.EventJournalTable.Name : $"{tables.SchemaName}.{tables.EventJournalTable.Name}";
        var c = tables.EventJournalTable.ColumnNames;
        var insert = $"INSERT INTO {table} ({c.Created}, {c.Deleted}, {c.PersistenceId}, {c.SequenceNumber}, {c.Message}, {c.Manifest}, {c.Identifier}, {c.WriterUuid}) " +
                     "VALUES ($created, 0, $pid, $seq, $message, $manifest, $identifier, $writer)";
        // Akka.Persistence.Sql's delete, step for step: mark the events up to the bound deleted, then remove all of them
        // but the highest marked one, which keeps the persistence id's highest sequence number for its next recovery.
        string[] delete =
        [
            $"UPDATE {table} SET {c.Deleted} = 1 WHERE {c.PersistenceId} = $pid AND {c.SequenceNumber} <= $to",
            $"DELETE FROM {table} WHERE {c.PersistenceId} = $pid AND {c.SequenceNumber} <= $to AND {c.SequenceNumber} < " +
            $"(SELECT COALESCE(MAX({c.SequenceNumber}), 0) FROM {table} WHERE {c.PersistenceId} = $pid AND {c.Deleted} = 1)",
        ];
        var writer = new SqliteJournalWriter(journal.GetString("connection-string"), SqliteStorage.Pragmas(settings), insert, delete,
            system.Serialization, system.Settings.Setup.Get<StorageCommits>().GetOrElse(null!), system.Log);
        // After the partitions have stopped (sharding stops its regions in an earlier phase), so that their last
        // appends are committed. Not among the ActorSystem's termination callbacks: one registered there delays the
        // data directory lock's release, and a node restarted on the same directory found the lock still held
        // (ActorSystem.Terminate runs the coordinated shutdown too).
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "journal-writer", async () =>
        {
            writer.Dispose();
            await writer._stopped.Task;
            return Akka.Done.Instance;
        });
        return writer;
    }

    /// <summary>
    /// Queues <paramref name="event"/> as event <paramref name="sequenceNr"/> of <paramref name="persistenceId"/>, after
    /// everything queued before it. <paramref name="replyTo"/> is told <see cref="JournalAppended"/> once it is committed
    /// (on disk: synchronous = FULL), or <see cref="JournalAppendFailed"/>. Serialized here, on the caller's thread,
    /// so the writer's thread does only the database's work.
    /// </summary>
    public void Append(WriteStream stream, string persistenceId, long sequenceNr, object @event, IActorRef replyTo)
    {
        Enqueue(new Job(stream, Serialize(persistenceId, sequenceNr, @event), null, replyTo));
    }

    /// <summary>
    /// Queues one of the journal plugin's writes (an AtomicWrite: all its events or none), behind everything queued
    /// before it: the plugin's writes and the partitions' appends share this one writer, so no second connection takes
    /// SQLite's write lock from it. The task fails with the database's error (the plugin then fails the write, and its
    /// actor stops, as with Akka.Persistence.Sql's own writes).
    /// </summary>
    public Task Write(IReadOnlyList<(string PersistenceId, long SequenceNr, object Event)> events)
    {
        var rows = events.Select(e => Serialize(e.PersistenceId, e.SequenceNr, e.Event)).ToList();
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Job(new WriteStream(), null, null, ActorRefs.Nobody) { Atomic = rows, Completion = completion });
        return completion.Task;
    }

    /// <summary>The plugin's delete, through this writer as <see cref="Write"/> is; the task fails with the database's error.</summary>
    public Task Delete(string persistenceId, long toSequenceNr)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new Job(new WriteStream(), null, new DeleteTo(persistenceId, toSequenceNr), ActorRefs.Nobody) { Completion = completion });
        return completion.Task;
    }

    /// <summary>
    /// Queues the deletion of <paramref name="persistenceId"/>'s events up to <paramref name="toSequenceNr"/> behind its
    /// appends, answering <paramref name="replyTo"/> as Akka's journal does (<see cref="DeleteMessagesSuccess"/> or
    /// <see cref="DeleteMessagesFailure"/>). Through this writer rather than the plugin, so that it never deletes
    /// before an append queued ahead of it, and takes no lock from it.
    /// </summary>
    public void Delete(WriteStream stream, string persistenceId, long toSequenceNr, IActorRef replyTo) =>
        Enqueue(new Job(stream, null, new DeleteTo(persistenceId, toSequenceNr), replyTo));

    /// <summary>Appends and deletes queued or in the transaction under way: not yet answered.</summary>
    internal int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The row Akka.Persistence.Sql would write for the event: its serializer's bytes, manifest and id.</summary>
    private Row Serialize(string persistenceId, long sequenceNr, object @event)
    {
        var serializer = _serialization.FindSerializerFor(@event);
        return new Row(persistenceId, sequenceNr, serializer.ToBinary(@event), Akka.Serialization.Serialization.ManifestFor(serializer, @event),
            serializer.Identifier);
    }

    private void Enqueue(Job job)
    {
        Interlocked.Increment(ref _inFlight);
        lock (_gate)
        {
            if (!_stopping)
            {
                _queue.Add(job);
                if (_queue.Count == 1) Monitor.Pulse(_gate);
                return;
            }
        }
        Answer(job, new InvalidOperationException("The node's journal writer has stopped: the node is shutting down"));
    }

    private void Run()
    {
        Connection? connection = null;
        var batch = new List<Job>();
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    while (_queue.Count == 0 && !_stopping) Monitor.Wait(_gate);
                    if (_queue.Count == 0) return;
                    (batch, _queue) = (_queue, batch);
                }
                try
                {
                    connection ??= Open();
                    Commit(connection, batch);
                }
                catch (Exception e)
                {
                    // The transaction is undone (or never began): nothing of the batch is stored, and each job's stream
                    // refuses its later appends. A fresh connection for the next batch. Never rethrown: an exception
                    // escaping this thread would end the node's process.
                    _log.Error(e, "Journal writer: a transaction of {Count} appends failed", batch.Count);
                    foreach (var job in batch) Fail(job, e);
                    connection?.Dispose();
                    connection = null;
                }
                batch.Clear();
            }
        }
        finally
        {
            connection?.Dispose();
            _stopped.TrySetResult();
        }
    }

    private Connection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using (var pragmas = connection.CreateCommand())
            {
                pragmas.CommandText = _pragmas;
                pragmas.ExecuteNonQuery();
            }
            if (_commits is not null) raw.sqlite3_commit_hook(connection.Handle!, _commits.JournalCommitted, null);
            // One insert for the connection's life: SQLite compiles it once, each append only binds its values.
            return new Connection(connection, Command(connection, _insert, "$created", "$pid", "$seq", "$message", "$manifest", "$identifier", "$writer"));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The writer's connection and its prepared insert.</summary>
    private sealed class Connection(SqliteConnection sqlite, SqliteCommand insert) : IDisposable
    {
        public SqliteConnection Sqlite { get; } = sqlite;
        public SqliteCommand Insert { get; } = insert;

        public void Dispose()
        {
            Insert.Dispose();
            Sqlite.Dispose();
        }
    }

    /// <summary>
    /// One transaction for the whole batch: a statement that fails (the unique key: another incarnation wrote that
    /// sequence number) fails its job alone, because SQLite undoes only the failed statement. Jobs are answered after
    /// the commit, in order.
    /// </summary>
    private void Commit(Connection connection, List<Job> batch)
    {
        var refused = new Exception?[batch.Count];
        using (var transaction = connection.Sqlite.BeginTransaction(deferred: false))
        {
            var insert = connection.Insert;
            insert.Transaction = transaction;
            var created = DateTime.UtcNow.Ticks;
            insert.Parameters["$created"].Value = created;
            insert.Parameters["$writer"].Value = _writerUuid;
            for (var i = 0; i < batch.Count; i++)
            {
                var job = batch[i];
                if (job.Stream.Failure is { } earlier)
                {
                    refused[i] = new InvalidOperationException("An earlier append of this partition failed; later ones are refused so that its log has no gap", earlier);
                    continue;
                }
                try
                {
                    if (job.Row is { } row)
                    {
                        Insert(insert, row);
                    }
                    else if (job.Atomic is { } rows)
                    {
                        // All or none: a savepoint undoes the rows already inserted when a later one fails.
                        Execute(connection.Sqlite, transaction, "SAVEPOINT atomic");
                        try
                        {
                            foreach (var atomicRow in rows) Insert(insert, atomicRow);
                        }
                        catch
                        {
                            Execute(connection.Sqlite, transaction, "ROLLBACK TO atomic");
                            throw;
                        }
                        finally
                        {
                            Execute(connection.Sqlite, transaction, "RELEASE atomic");
                        }
                    }
                    else if (job.Delete is { } delete)
                    {
                        foreach (var sql in _delete)
                        {
                            using var command = Command(connection.Sqlite, sql, "$pid", "$to");
                            command.Transaction = transaction;
                            command.Parameters["$pid"].Value = delete.PersistenceId;
                            command.Parameters["$to"].Value = delete.ToSequenceNr;
                            command.ExecuteNonQuery();
                        }
                    }
                }
                catch (SqliteException e) when (e.SqliteErrorCode == SqliteJournalErrors.SqliteConstraint)
                {
                    refused[i] = e;
                    job.Stream.Failure = e;
                }
            }
            transaction.Commit();
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (refused[i] is { } cause) Answer(batch[i], cause);
            else Answer(batch[i], null);
        }
    }

    private static void Insert(SqliteCommand insert, Row row)
    {
        insert.Parameters["$pid"].Value = row.PersistenceId;
        insert.Parameters["$seq"].Value = row.SequenceNr;
        insert.Parameters["$message"].Value = row.Message;
        insert.Parameters["$manifest"].Value = row.Manifest;
        insert.Parameters["$identifier"].Value = row.Identifier;
        insert.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    private void Fail(Job job, Exception cause)
    {
        job.Stream.Failure ??= cause;
        Answer(job, cause);
    }

    private void Answer(Job job, Exception? failure)
    {
        Interlocked.Decrement(ref _inFlight);
        if (job.Completion is { } completion)
        {
            if (failure is null) completion.TrySetResult();
            else completion.TrySetException(failure);
            return;
        }
        switch (job)
        {
            case { Row: { } row }:
                job.ReplyTo.Tell(failure is null ? new JournalAppended(row.SequenceNr) : new JournalAppendFailed(row.SequenceNr, failure));
                break;
            case { Delete: { } delete }:
                job.ReplyTo.Tell(failure is null
                    ? new DeleteMessagesSuccess(delete.ToSequenceNr)
                    : new DeleteMessagesFailure(failure, delete.ToSequenceNr));
                break;
        }
    }

    /// <summary>
    /// Tells the thread to commit what is queued and stop, and returns at once; appends after this are answered failed
    /// at once. The coordinated shutdown's task waits for the thread, within its phase's timeout.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.Pulse(_gate);
        }
    }

    private sealed record Row(string PersistenceId, long SequenceNr, byte[] Message, string Manifest, int Identifier);

    private sealed record DeleteTo(string PersistenceId, long ToSequenceNr);

    private sealed record Job(WriteStream Stream, Row? Row, DeleteTo? Delete, IActorRef ReplyTo)
    {
        /// <summary>The plugin's writes: rows stored all or none (one AtomicWrite), answered through a task.</summary>
        public IReadOnlyList<Row>? Atomic { get; init; }
        public TaskCompletionSource? Completion { get; init; }
    }

    /// <summary>
    /// One incarnation's appends: after one of them fails, the writer refuses the rest. Only the writer's thread reads or
    /// sets <see cref="Failure"/>.
    /// </summary>
    internal sealed class WriteStream
    {
        internal Exception? Failure { get; set; }
    }

    private sealed class Holder(SqliteJournalWriter? writer) : IExtension
    {
        public SqliteJournalWriter? Writer { get; } = writer;
    }

    private sealed class HolderProvider : ExtensionIdProvider<Holder>
    {
        public override Holder CreateExtension(ExtendedActorSystem system) => new(Create(system));
    }
}

/// <summary>An append of <see cref="SqliteJournalWriter"/> is committed: the event is on disk.</summary>
internal sealed record JournalAppended(long SequenceNr);

/// <summary>An append of <see cref="SqliteJournalWriter"/> was not stored; neither will be any later one of its stream.</summary>
internal sealed record JournalAppendFailed(long SequenceNr, Exception Cause);
