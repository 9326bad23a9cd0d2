using Microsoft.Data.Sqlite;

namespace Platform.Specs.Support;

/// <summary>
/// SQL against a running node's embedded SQLite store from outside it, as another process would: how specs make the
/// real journal fail (a trigger that aborts inserts stands in for a full disk) without a fake storage layer.
/// </summary>
public static class NodeDatabase
{
    /// <summary>Runs <paramref name="sql"/> on the store in <paramref name="dataDir"/> over a connection of its own.</summary>
    public static async Task ExecuteAsync(string dataDir, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "platform.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
