using System.Collections.Immutable;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Journal;

namespace Platform.Actors.Storage;

/// <summary>
/// Akka.Persistence.Sql's journal, except that on a node whose partitions append through the node's own
/// <see cref="SqliteJournalWriter"/> its writes and deletes go through that writer too: SQLite lets one connection
/// write a file at a time, and a second writer's busy handler backs off 1, 2, 5 ... 100 ms between tries, so the
/// plugin's writes (topics, producer ids, consumer groups' commits, the storage probe) could wait behind a writer that
/// hardly pauses, and the writer's commits behind theirs. One queue, one connection: they take turns in order.
/// Replays and highest sequence numbers stay the plugin's (reads take no write lock). Elsewhere (PostgreSQL, or the
/// writer off) it is the plugin unchanged. Configured as the journal's <c>class</c> in platform.conf.
/// </summary>
internal sealed class SqliteWriteJournal(Config journalConfig) : SqlWriteJournal(journalConfig)
{
    private readonly SqliteJournalWriter? _writer = SqliteJournalWriter.For(Context.System);

    /// <summary>Each persistence id's last write through the writer, which a read of its highest sequence number waits for.</summary>
    private readonly Dictionary<string, Task> _writing = new();

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        if (_writer is null) return base.WriteMessagesAsync(messages, cancellationToken);
        var writes = new List<Task>();
        string? persistenceId = null;
        foreach (var atomic in messages)
        {
            var events = ((IImmutableList<IPersistentRepresentation>)atomic.Payload)
                .Select(p => (p.PersistenceId, p.SequenceNr, p.Payload)).ToList();
            persistenceId = atomic.PersistenceId;
            writes.Add(_writer.Write(events));
        }
        var all = WriteAll(writes);
        if (persistenceId is not null) _writing[persistenceId] = all;
        return all;
    }

    /// <summary>Every AtomicWrite stored, or the whole call failed with the database's error (the plugin's rule).</summary>
    private static async Task<IImmutableList<Exception>> WriteAll(List<Task> writes)
    {
        await Task.WhenAll(writes);
        return null!; // Akka's convention: null when every write succeeded
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        if (_writing.TryGetValue(persistenceId, out var writing))
        {
            _writing.Remove(persistenceId);
            try
            {
                await writing;
            }
            catch
            {
                // Its failure was the write's to report; the highest is what the journal holds now.
            }
        }
        return await base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken);
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        _writer is null ? base.DeleteMessagesToAsync(persistenceId, toSequenceNr, cancellationToken) : _writer.Delete(persistenceId, toSequenceNr);
}
