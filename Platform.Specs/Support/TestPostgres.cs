using Npgsql;

namespace Platform.Specs.Support;

/// <summary>
/// A real PostgreSQL server for specs: PLATFORM_TEST_POSTGRES (an Npgsql connection string to a server
/// where the user may create databases), by default the local server `.ci/run` installs and starts. Each
/// call makes a fresh database, so specs never see each other's journals.
/// </summary>
public static class TestPostgres
{
    public static string Server =>
        Environment.GetEnvironmentVariable("PLATFORM_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres";

    public static async Task<string> NewDatabaseAsync()
    {
        var name = $"platform_spec_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(Server))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {name}";
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(Server) { Database = name }.ConnectionString;
    }
}
