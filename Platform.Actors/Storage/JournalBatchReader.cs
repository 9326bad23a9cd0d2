using System.Data.Common;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using Microsoft.Data.Sqlite;
using Npgsql;
using Platform.Actors.Configuration;
using Platform.Actors.Partitions;
using Platform.Protocol.Records;

namespace Platform.Actors.Storage;

/// <summary>
/// Reads a range of one partition's stored batches straight from the journal table: one query, rows in sequence
/// order, each row's bytes served as they are (they are the RecordBatch), and the query left as soon as the fetch
/// is full. Why not Akka.Persistence's <c>ReplayMessages</c>: the profile of a 1 KiB consume from the journal had
/// about half the node's CPU in it per read (a highest-sequence-number query, an Akka.Streams graph materialized
/// and a linq2db query built for every fetch) while the rows themselves were a few percent. The table and column
/// names are Akka.Persistence.Sql's own mapping, read from the journal's configuration; writes still go through
/// the journal plugin. One per ActorSystem (an Akka extension).
/// </summary>
internal sealed class JournalBatchReader : IExtension
{
    private readonly DbProviderFactory _factory;
    private readonly string _connectionString;
    private readonly string? _afterOpen;
    private readonly string? _afterRead;
    private readonly string _query;
    private readonly int _serializerId;

    private JournalBatchReader(DbProviderFactory factory, string connectionString, string? afterOpen, string? afterRead, string query, int serializerId)
    {
        _factory = factory;
        _connectionString = connectionString;
        _afterOpen = afterOpen;
        _afterRead = afterRead;
        _query = query;
        _serializerId = serializerId;
    }

    public static JournalBatchReader For(ActorSystem system) => system.WithExtension<JournalBatchReader, JournalBatchReaderProvider>();

    internal static JournalBatchReader Create(ExtendedActorSystem system)
    {
        var config = system.Settings.Config;
        var journal = config.GetConfig("akka.persistence.journal.sql");
        var table = new JournalTableConfig(journal).EventJournalTable;
        var schema = new JournalTableConfig(journal).SchemaName;
        var c = table.ColumnNames;
        var name = string.IsNullOrEmpty(schema) ? table.Name : $"{schema}.{table.Name}";
        // The ordering column (SQLite's rowid) lets a SQLite reader stream the message's blob (ReadBatch).
        var query = $"SELECT {c.Identifier}, {c.Manifest}, {c.Message}, {c.Ordering} FROM {name} " +
                    $"WHERE {c.PersistenceId} = @pid AND {c.SequenceNumber} >= @from AND {c.SequenceNumber} <= @to AND {c.Deleted} = @deleted " +
                    $"ORDER BY {c.SequenceNumber}";
        var serializerId = system.Serialization.FindSerializerForType(typeof(RecordBatchAppended)).Identifier;
        var connectionString = journal.GetString("connection-string");
        if (!SqliteStorage.IsSqlite(config)) return new JournalBatchReader(NpgsqlFactory.Instance, connectionString, null, null, query, serializerId);
        // The file is mapped for the read and unmapped after it (platform.storage.sqlite.read-mmap-size): SQLite then
        // copies a batch's overflow pages out of the page cache instead of one pread call per 4 KiB page, and the pages
        // a read touched leave the node's RSS once it is done, as the pooled connection would otherwise keep them mapped.
        var settings = SqliteSettings.Create(config);
        var (map, unmap) = settings.ReadMmapSize > 0
            ? ($" PRAGMA mmap_size = {settings.ReadMmapSize};", "PRAGMA mmap_size = 0;")
            : ("", null);
        return new JournalBatchReader(SqliteFactory.Instance, connectionString, SqliteStorage.Pragmas(settings) + map, unmap, query, serializerId);
    }

    /// <summary>
    /// The stored batches of <paramref name="persistenceId"/> between the two sequence numbers (inclusive) that hold
    /// records at or after <paramref name="fromOffset"/>, up to <paramref name="maxBytes"/> (at least one batch).
    /// Other events of the range (a moved log start) are skipped; a batch whose CRC no longer matches throws.
    /// </summary>
    public async Task<List<byte[]>> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long fromOffset,
        int maxBytes, CancellationToken token)
    {
        var batches = new List<byte[]>();
        await using var connection = _factory.CreateConnection()!;
        connection.ConnectionString = _connectionString;
        await connection.OpenAsync(token);
        if (_afterOpen is not null)
        {
            await using var pragmas = connection.CreateCommand();
            pragmas.CommandText = _afterOpen;
            await pragmas.ExecuteNonQueryAsync(token);
        }
        await using var command = connection.CreateCommand();
        command.CommandText = _query;
        Add(command, "pid", persistenceId);
        Add(command, "from", fromSequenceNr);
        Add(command, "to", toSequenceNr);
        Add(command, "deleted", false);
        await using (var reader = await command.ExecuteReaderAsync(token))
        {
            long bytes = 0;
            while (await reader.ReadAsync(token))
            {
                if (reader.IsDBNull(0) || reader.GetInt32(0) != _serializerId || reader.IsDBNull(1) || reader.GetString(1) != PartitionFormats.BatchManifest)
                    continue;
                var batch = PartitionFormats.ServeStoredBatch(ReadBatch(reader));
                if (RecordBatch.BaseOffset(batch) + RecordBatch.LastOffsetDelta(batch) < fromOffset) continue;
                if (batches.Count > 0 && bytes + batch.Length > maxBytes) break;
                batches.Add(batch);
                bytes += batch.Length;
            }
        }
        if (_afterRead is not null)
        {
            await using var after = connection.CreateCommand();
            after.CommandText = _afterRead;
            await after.ExecuteNonQueryAsync(token);
        }
        return batches;
    }

    /// <summary>
    /// The row's message. From SQLite through blob I/O (the query selects the rowid, so <c>GetStream</c> opens the
    /// blob): its pages are read straight into an unzeroed array, where reading the column assembled the blob in a
    /// buffer of SQLite's, then copied it into a zeroed array (8 % of the node's CPU in a 1 KiB consume, issue #16).
    /// </summary>
    private static byte[] ReadBatch(DbDataReader reader)
    {
        if (reader is not SqliteDataReader) return reader.GetFieldValue<byte[]>(2);
        using var blob = reader.GetStream(2);
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)blob.Length));
        blob.ReadExactly(bytes);
        return bytes;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

internal sealed class JournalBatchReaderProvider : ExtensionIdProvider<JournalBatchReader>
{
    public override JournalBatchReader CreateExtension(ExtendedActorSystem system) => JournalBatchReader.Create(system);
}
