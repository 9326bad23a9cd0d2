using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;
using Platform.Actors.Storage;

namespace Platform.Actors.Hosting;

/// <summary>
/// What a node checks before it binds or opens anything, so that a careless start fails at once with one line naming
/// the cause and the path or port (<see cref="NodeStartException"/>) instead of a stack trace from deep inside SQLite,
/// Npgsql or DotNetty, or, worse, a start that seems to work (issue #17): the data directory (not a file, its parent
/// there, writable, not held by another node), the store (the SQLite file opens; PostgreSQL answers), and the remoting
/// port (free).
/// </summary>
internal static class StartupGuards
{
    /// <summary>
    /// Checks and prepares the node's store. On SQLite it returns the data directory's lock, which the node holds until
    /// its ActorSystem has terminated; on PostgreSQL (no data directory in use) null.
    /// </summary>
    public static async Task<DataDirectoryLock?> PrepareStorageAsync(Config config)
    {
        if (!SqliteStorage.IsSqlite(config))
        {
            await EnsurePostgresReachableAsync(config);
            return null;
        }
        var database = SqliteStorage.DatabasePath(config);
        var directory = Path.GetDirectoryName(database) ?? throw new NodeStartException($"The SQLite database {database} has no directory");
        EnsureDirectory(directory);
        var held = DataDirectoryLock.Acquire(directory);
        try
        {
            SqliteStorage.Prepare(config);
            return held;
        }
        catch (SqliteException e)
        {
            held.Dispose();
            // Prepare opens the journal's file and the snapshot store's (SqliteStorage.SnapshotDatabasePath) beside it.
            throw new NodeStartException($"The SQLite database {database} or {SqliteStorage.SnapshotDatabasePath(config)} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>Creates the data directory if missing, refusing a path that is a file or whose parent does not exist.</summary>
    internal static void EnsureDirectory(string directory)
    {
        if (File.Exists(directory)) throw new NodeStartException($"The data directory {directory} is a file, not a directory");
        if (Directory.Exists(directory)) return;
        // A missing parent is most likely a typo in --data-dir: creating a whole tree would hide it.
        if (Path.GetDirectoryName(directory) is { } parent && !Directory.Exists(parent))
            throw new NodeStartException($"The data directory {directory} cannot be created: its parent {parent} does not exist");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeStartException($"The data directory {directory} cannot be created: {e.Message}", e);
        }
    }

    /// <summary>Opens one connection to the journal's PostgreSQL: a node that cannot reach its store must not start.</summary>
    private static async Task EnsurePostgresReachableAsync(Config config)
    {
        var connectionString = config.GetString("akka.persistence.journal.sql.connection-string");
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new NodeStartException($"The PostgreSQL connection string is not valid: {e.Message}", e);
        }
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            var database = string.IsNullOrEmpty(builder.Database) ? "" : $" (database {builder.Database})";
            throw new NodeStartException($"PostgreSQL at {builder.Host}:{builder.Port}{database} cannot be reached: {OneLine(e)}", e);
        }
    }

    /// <summary>Fails when something listens on the node's Akka.Remote port already (see <see cref="ExclusivePort.EnsureFree"/>).</summary>
    public static void EnsureRemotingPortFree(Config config)
    {
        var (host, port) = RemotingEndpoint(config);
        ExclusivePort.EnsureFree("The remoting", Resolve(host), port);
    }

    /// <summary>
    /// The one-line error for an ActorSystem that could not start because remoting could not bind (another process took
    /// the port between the check and the bind), or null when that was not the cause.
    /// </summary>
    public static NodeStartException? RemotingBindFailure(Config config, Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause is AggregateException a ? a.InnerExceptions.FirstOrDefault() : cause.InnerException)
        {
            if (cause is SocketException socket)
            {
                var (host, port) = RemotingEndpoint(config);
                return ExclusivePort.Taken("The remoting", host, port, socket);
            }
        }
        return null;
    }

    private static (string Host, int Port) RemotingEndpoint(Config config)
    {
        var bindHost = config.GetString("akka.remote.dot-netty.tcp.bind-hostname", "");
        var bindPort = config.GetString("akka.remote.dot-netty.tcp.bind-port", "");
        var host = string.IsNullOrEmpty(bindHost) ? config.GetString("akka.remote.dot-netty.tcp.hostname") : bindHost;
        var port = int.TryParse(bindPort, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : config.GetInt("akka.remote.dot-netty.tcp.port");
        return (host, port);
    }

    /// <summary>The address a host name binds to, as the listeners resolve it.</summary>
    internal static IPAddress Resolve(string host) =>
        IPAddress.TryParse(host, out var ip) ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new NodeStartException($"The host name {host} does not resolve to an address");

    private static string OneLine(Exception e)
    {
        var message = e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message;
        return message.ReplaceLineEndings(" ");
    }
}
