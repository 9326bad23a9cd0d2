using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Platform.Actors.Configuration;

namespace Platform.Actors.Storage;

/// <summary>
/// How a node uses its embedded SQLite files (<c>platform.db</c> for the journal, <c>snapshots.db</c> for the snapshot
/// store): WAL mode (set once, it persists in the file), and on every connection the journal and snapshot store open,
/// a busy timeout, <c>synchronous = FULL</c> and the WAL's checkpoint bound.
/// <para>
/// Two files because SQLite lets one connection write a file at a time. A snapshot save in the journal's file held
/// that lock while the journal's next commit waited in SQLite's busy handler, which sleeps 1, 2, 5 ms ... between
/// tries: a 0.3 ms snapshot cost the acknowledgements queued behind it 1-3 ms, and tens of milliseconds when the
/// snapshot's thread lost its core mid-transaction (issue #16's paced runs).
/// </para>
/// <para>
/// The busy timeout still matters: any other writer of a file (an operator's sqlite3, a spec) takes its lock.
/// Without one SQLite answers SQLITE_BUSY at once, and Microsoft.Data.Sqlite then sleeps 150 ms before it tries
/// again (the 120-160 ms stalls of earlier paced runs). With it, SQLite waits inside its own busy handler.
/// </para>
/// <para>
/// FULL is what the bundled library defaults to in WAL mode today; set here so that an acknowledged write is on
/// disk because we say so, not because of a build default (issue #12).
/// </para>
/// </summary>
internal static class SqliteStorage
{
    /// <summary>Akka.Persistence.Sql's plugins that open connections to the node's database.</summary>
    private static readonly string[] Plugins = [JournalPlugin, SnapshotPlugin];

    private const string JournalPlugin = "akka.persistence.journal.sql";
    private const string SnapshotPlugin = "akka.persistence.snapshot-store.sql";

    public static bool IsSqlite(Config config) =>
        config.GetString(JournalErrors.ProviderNamePath) is { } provider && provider.StartsWith("SQLite", StringComparison.Ordinal);

    /// <summary>The full path of the journal's SQLite file; its directory is the node's data directory.</summary>
    public static string DatabasePath(Config config) =>
        Path.GetFullPath(new SqliteConnectionStringBuilder(config.GetString("akka.persistence.journal.sql.connection-string")).DataSource);

    /// <summary>The full path of the snapshot store's SQLite file: <c>snapshots.db</c> beside the journal's on a node.</summary>
    public static string SnapshotDatabasePath(Config config) =>
        Path.GetFullPath(new SqliteConnectionStringBuilder(config.GetString($"{SnapshotPlugin}.connection-string")).DataSource);

    /// <summary>
    /// Puts the journal's and the snapshot store's files in WAL mode (a property of the file, so every later
    /// connection uses it: readers of old offsets then never block the journal's writer), and moves an older node's
    /// snapshots into their own file, before the ActorSystem opens them. The data directory exists already
    /// (<see cref="Hosting.StartupGuards"/> checked and created it).
    /// </summary>
    public static void Prepare(Config config)
    {
        if (!IsSqlite(config)) return;
        var journal = config.GetString($"{JournalPlugin}.connection-string");
        var snapshots = config.GetString($"{SnapshotPlugin}.connection-string");
        UseWal(journal);
        if (DatabasePath(config) == SnapshotDatabasePath(config)) return;
        UseWal(snapshots);
        MoveSnapshots(DatabasePath(config), snapshots);
    }

    private static void UseWal(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// A node from before the snapshot store had a file of its own kept its snapshots in the journal's file. They are
    /// not optional: partitions and groups delete the journal's events a snapshot covers (retention, compacted
    /// commits), so a partition recovered without its snapshot would lose its offsets. The first start on a node's
    /// data directory copies the table (its schema as SQLite stored it, then its rows) into the snapshot file in one
    /// transaction, so the copy is whole or absent: a start that died half-way copies again. The journal's file keeps
    /// its copy, which nothing reads any more (docs/operations.md).
    /// </summary>
    private static void MoveSnapshots(string journalPath, string snapshotsConnectionString)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(snapshotsConnectionString) { Pooling = false }.ToString());
        connection.Open();
        if (HasSnapshotTable(connection, "main")) return;
        Execute(connection, $"ATTACH DATABASE {Literal(journalPath)} AS journal");
        try
        {
            if (!HasSnapshotTable(connection, "journal")) return;
            using var transaction = connection.BeginTransaction();
            var schema = new List<string>();
            using (var read = connection.CreateCommand())
            {
                read.CommandText = $"SELECT sql FROM journal.sqlite_master WHERE tbl_name = '{SnapshotTable}' AND sql IS NOT NULL ORDER BY type <> 'table'";
                using var rows = read.ExecuteReader();
                while (rows.Read()) schema.Add(rows.GetString(0));
            }
            foreach (var create in schema) Execute(connection, create);
            Execute(connection, $"INSERT INTO main.{SnapshotTable} SELECT * FROM journal.{SnapshotTable}");
            transaction.Commit();
        }
        finally
        {
            Execute(connection, "DETACH DATABASE journal");
        }
    }

    /// <summary>Akka.Persistence.Sql's default table of snapshots (platform.conf keeps its default).</summary>
    private const string SnapshotTable = "snapshot";

    private static bool HasSnapshotTable(SqliteConnection connection, string schema)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {schema}.sqlite_master WHERE type = 'table' AND name = '{SnapshotTable}'";
        return (long)command.ExecuteScalar()! > 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''") + "'";

    /// <summary>
    /// The setup that makes every persistence connection apply <see cref="Pragmas"/>, and count its commits into
    /// <paramref name="commits"/> when given; null for other stores.
    /// </summary>
    public static Setup? Setup(Config config, StorageCommits? commits = null)
    {
        if (!IsSqlite(config)) return null;
        var pragmas = Pragmas(SqliteSettings.Create(config));
        var setup = new MultiDataOptionsSetup();
        foreach (var plugin in Plugins)
        {
            delegate_commit? hook = commits is null ? null : plugin == JournalPlugin ? commits.JournalCommitted : commits.SnapshotCommitted;
            var options = new DataOptions()
                .UseConnectionString(config.GetString($"{plugin}.provider-name"), config.GetString($"{plugin}.connection-string"))
                .UseAfterConnectionOpened(connection => Apply(connection, pragmas, hook), (connection, token) => ApplyAsync(connection, pragmas, hook, token));
            setup.AddDataOptions(plugin, options);
        }
        return setup;
    }

    /// <summary>The node's WAL checkpointer, running from now on; null for other stores.</summary>
    public static SqliteCheckpointer? Checkpointer(Config config, StorageCommits commits, WalCheckpoints checkpoints, Akka.Event.ILoggingAdapter log) =>
        IsSqlite(config)
            ? new SqliteCheckpointer(config.GetString($"{JournalPlugin}.connection-string"), SqliteSettings.Create(config), commits, checkpoints, log)
            : null;

    /// <summary>
    /// What every connection runs once opened. wal_autocheckpoint is per connection: each one that commits would
    /// otherwise checkpoint inline at SQLite's 1,000 pages; <see cref="SqliteCheckpointer"/> does it off their path
    /// and this is only the bound.
    /// </summary>
    public static string Pragmas(SqliteSettings settings) =>
        $"PRAGMA busy_timeout = {(long)settings.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = {settings.WalAutocheckpoint};";

    private static void Apply(System.Data.Common.DbConnection connection, string pragmas, delegate_commit? hook)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        command.ExecuteNonQuery();
        Hook(connection, hook);
    }

    private static async Task ApplyAsync(System.Data.Common.DbConnection connection, string pragmas, delegate_commit? hook, CancellationToken token)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = pragmas;
        await command.ExecuteNonQueryAsync(token);
        Hook(connection, hook);
    }

    /// <summary>
    /// Installs the commit hook on the native connection. A pooled connection keeps its hook; opening it again
    /// installs the same one over it, so every commit is counted once.
    /// </summary>
    private static void Hook(System.Data.Common.DbConnection connection, delegate_commit? hook)
    {
        if (hook is not null && connection is SqliteConnection { Handle: { } handle })
            raw.sqlite3_commit_hook(handle, hook, null);
    }
}
