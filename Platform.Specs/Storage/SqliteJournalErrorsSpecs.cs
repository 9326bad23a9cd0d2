using Microsoft.Data.Sqlite;
using Platform.Actors.Storage;

namespace Platform.Specs.Storage;

/// <summary>
/// <see cref="SqliteJournalErrors"/> against errors a real SQLite file raises: a table with a unique key
/// and a primary key, written twice, and errors that are not duplicates.
/// </summary>
public sealed class SqliteJournalErrorsSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("platform-sqlite-errors-").FullName;
    private readonly SqliteJournalErrors _errors = new();

    private string File => Path.Combine(_directory, "journal.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        await connection.OpenAsync();
        await Execute(connection, """
            CREATE TABLE IF NOT EXISTS journal (
              ordering INTEGER PRIMARY KEY,
              persistence_id TEXT NOT NULL,
              sequence_number INTEGER NOT NULL,
              UNIQUE (persistence_id, sequence_number))
            """);
        return connection;
    }

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<SqliteException> Failure(SqliteConnection connection, string sql) =>
        await Assert.ThrowsAsync<SqliteException>(() => Execute(connection, sql));

    [Fact]
    public async Task A_second_row_with_the_same_unique_key_is_a_duplicate_key()
    {
        await using var connection = await OpenAsync();
        await Execute(connection, "INSERT INTO journal (persistence_id, sequence_number) VALUES ('partition-a-0', 2)");
        var error = await Failure(connection, "INSERT INTO journal (persistence_id, sequence_number) VALUES ('partition-a-0', 2)");
        Assert.Equal((19, 2067), (error.SqliteErrorCode, error.SqliteExtendedErrorCode));
        Assert.True(_errors.IsDuplicateKey(error));
    }

    [Fact]
    public async Task A_taken_primary_key_is_a_duplicate_key_also_when_wrapped_by_the_journal()
    {
        await using var connection = await OpenAsync();
        await Execute(connection, "INSERT INTO journal (ordering, persistence_id, sequence_number) VALUES (1, 'p', 1)");
        var error = await Failure(connection, "INSERT INTO journal (ordering, persistence_id, sequence_number) VALUES (1, 'p', 2)");
        Assert.Equal(1555, error.SqliteExtendedErrorCode);
        Assert.True(_errors.IsDuplicateKey(new InvalidOperationException("Journal write failed", error)));
        Assert.True(_errors.IsDuplicateKey(new AggregateException(new TimeoutException(), new Exception("batch", error))));
    }

    [Fact]
    public async Task Other_constraints_syntax_errors_and_an_unopenable_file_are_not_duplicate_keys()
    {
        await using var connection = await OpenAsync();
        var notNull = await Failure(connection, "INSERT INTO journal (persistence_id, sequence_number) VALUES (NULL, 1)");
        Assert.Equal(19, notNull.SqliteErrorCode); // a constraint, but not a unique one
        Assert.False(_errors.IsDuplicateKey(notNull));
        Assert.False(_errors.IsDuplicateKey(await Failure(connection, "INSERT INTO journal VALUES (")));

        await using var missing = new SqliteConnection($"Data Source={Path.Combine(_directory, "no", "such.db")};Mode=ReadOnly;Pooling=False");
        var cannotOpen = await Assert.ThrowsAsync<SqliteException>(() => missing.OpenAsync());
        Assert.False(_errors.IsDuplicateKey(cannotOpen));
    }

    [Fact]
    public void The_provider_name_chooses_the_adapter_and_unknown_stores_never_see_duplicates()
    {
        Assert.IsType<SqliteJournalErrors>(JournalErrors.ForProvider("SQLite.MS"));
        Assert.IsType<PostgresJournalErrors>(JournalErrors.ForProvider("PostgreSQL.15"));
        Assert.False(JournalErrors.ForProvider("SqlServer.2019").IsDuplicateKey(new Exception("UNIQUE constraint failed: 23505")));
        Assert.False(JournalErrors.ForProvider(null).IsDuplicateKey(new Exception("duplicate key")));
    }
}
