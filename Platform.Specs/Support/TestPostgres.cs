using Npgsql;

namespace Platform.Specs.Support;

/// <summary>
/// A real PostgreSQL server for specs: PLATFORM_TEST_POSTGRES (an Npgsql connection string to a server
/// where the user may create databases), by default the local server `.ci/run` installs and starts. Each
/// call makes a fresh database, so specs never see each other's journals.
/// <para>
/// Databases are named after the test process (<c>platform_spec_PID_…</c>) and dropped when it has exited (see
/// <see cref="SpecLeftovers"/>); any left by a process that ended otherwise are dropped by the next run's first database. So a run leaves no
/// databases behind without every spec having to dispose one (issue #17 item 7).
/// </para>
/// </summary>
public static class TestPostgres
{
    private const string Prefix = "platform_spec_";

    public static string Server =>
        Environment.GetEnvironmentVariable("PLATFORM_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres";

    public static async Task<string> NewDatabaseAsync()
    {
        SpecLeftovers.WatchThisProcess();
        await DropAsync(LeftBehind);
        var name = $"{Prefix}{Environment.ProcessId}_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE {name}");
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ConnectionString;
    }

    /// <summary>The spec databases on the server (for the cleanup spec).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'platform\\_spec\\_%'", connection);
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>A database named as one of process <paramref name="pid"/>'s (for the cleanup spec).</summary>
    internal static async Task<string> NewDatabaseOfAsync(int pid)
    {
        var name = $"{Prefix}{pid}_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE {name}");
        return name;
    }

    /// <summary>A spec database of a test process that has ended (never one of the older, unnamed kind: another
    /// worktree's run may still be using it).</summary>
    private static bool LeftBehind(string name) => SpecLeftovers.OfEndedProcess(name[Prefix.Length..], '_');

    private static async Task DropAsync(Func<string, bool> which)
    {
        foreach (var name in (await ListAsync()).Where(which))
        {
            try
            {
                await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
            catch (PostgresException)
            {
                // Another run is dropping it at the same moment.
            }
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
