using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Platform.Actors.Configuration;

namespace Platform.Actors.Storage;

/// <summary>
/// How a node uses its embedded SQLite file: WAL mode (set once, it persists in the file), and on every connection
/// the journal and snapshot store open, a busy timeout, <c>synchronous = FULL</c> and the WAL's checkpoint bound.
/// <para>
/// The busy timeout matters for latency. The journal and the snapshot store write through connections of their
/// own, and SQLite lets one write at a time. Without a busy timeout SQLite answers SQLITE_BUSY at once, and
/// Microsoft.Data.Sqlite then sleeps 150 ms before it tries again: every snapshot that met a journal write stalled
/// the partition for 150 ms (the 120-160 ms stalls of paced runs). With it, SQLite waits inside its own busy
/// handler, in steps of a few milliseconds, for the lock it needs.
/// </para>
/// <para>
/// FULL is what the bundled library defaults to in WAL mode today; set here so that an acknowledged write is on
/// disk because we say so, not because of a build default (issue #12).
/// </para>
/// </summary>
internal static class SqliteStorage
{
    /// <summary>Akka.Persistence.Sql's plugins that open connections to the node's database.</summary>
    private static readonly string[] Plugins = [JournalPlugin, "akka.persistence.snapshot-store.sql"];

    private const string JournalPlugin = "akka.persistence.journal.sql";

    public static bool IsSqlite(Config config) =>
        config.GetString(JournalErrors.ProviderNamePath) is { } provider && provider.StartsWith("SQLite", StringComparison.Ordinal);

    /// <summary>The full path of the journal's SQLite file; its directory is the node's data directory.</summary>
    public static string DatabasePath(Config config) =>
        Path.GetFullPath(new SqliteConnectionStringBuilder(config.GetString("akka.persistence.journal.sql.connection-string")).DataSource);

    /// <summary>
    /// Puts the file in WAL mode (a property of the file, so every later connection uses it: readers of old offsets
    /// then never block the journal's writer), before the ActorSystem opens it. The data directory exists already
    /// (<see cref="Hosting.StartupGuards"/> checked and created it).
    /// </summary>
    public static void Prepare(Config config)
    {
        if (!IsSqlite(config)) return;
        var connectionString = config.GetString("akka.persistence.journal.sql.connection-string");
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

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
