using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Npgsql;

namespace Platform.Actors.Storage;

/// <summary>
/// What a node checks about its store before it serves: a SQLite file belongs to one node, so a node on SQLite
/// must not join other nodes (sharding would move partitions onto it, where their logs are empty, and they would
/// fork); and PostgreSQL must acknowledge a commit only once it is durable, or an acknowledged record can be lost.
/// </summary>
internal static class StorageChecks
{
    /// <summary>
    /// Throws when the node is on SQLite and has a seed other than itself: it would join a cluster whose journal
    /// it does not share. A seed that is the node itself (a cluster of one started with --seed) is allowed.
    /// </summary>
    public static void RefuseSqliteInCluster(Config config)
    {
        if (!SqliteStorage.IsSqlite(config)) return;
        var host = config.GetString("akka.remote.dot-netty.tcp.hostname");
        var port = config.GetInt("akka.remote.dot-netty.tcp.port");
        var others = config.GetStringList("akka.cluster.seed-nodes").Select(Address.Parse)
            .Where(seed => seed.Port != port || !string.Equals(seed.Host, host, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (others.Count > 0)
            throw new InvalidOperationException(
                $"This node stores its journal in its own SQLite file and cannot join the cluster of {others[0].Host}:{others[0].Port}: " +
                "partitions moved to it would show an empty log. Nodes of a cluster share one journal: use --storage postgres " +
                "--connection-string CS with the cluster's database, or run this node alone without --seed.");
    }

    /// <summary>
    /// Warns unless PostgreSQL's <c>synchronous_commit</c> is <c>on</c> (or stricter) for the node's connection: with
    /// <c>off</c> or <c>local</c> a crash or failover can lose writes the journal already acknowledged. The check is a
    /// method of its own so that a node on SQLite never loads Npgsql: the JIT loads an assembly as soon as it compiles
    /// a method whose state machine holds its types (1.3 MiB of an idle node's resident memory, issue #16).
    /// </summary>
    public static Task WarnUnlessSynchronousCommitAsync(Config config, ILoggingAdapter log) =>
        JournalErrors.ForJournal(config) is PostgresJournalErrors ? WarnUnlessPostgresSynchronousCommitAsync(config, log) : Task.CompletedTask;

    private static async Task WarnUnlessPostgresSynchronousCommitAsync(Config config, ILoggingAdapter log)
    {
        try
        {
            await using var connection = new NpgsqlConnection(config.GetString("akka.persistence.journal.sql.connection-string"));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SHOW synchronous_commit", connection);
            var level = (string?)await command.ExecuteScalarAsync();
            if (level is not ("on" or "remote_write" or "remote_apply"))
                log.Warning("PostgreSQL synchronous_commit is {Level}: a crash can lose records already acknowledged to producers. " +
                    "Set synchronous_commit = on for the journal's database or user.", level);
        }
        catch (NpgsqlException e)
        {
            log.Warning("Could not read PostgreSQL's synchronous_commit: {Reason}", e.Message);
        }
    }
}
