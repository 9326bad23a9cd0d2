using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;
using Platform.Actors.Storage;
using Platform.Specs.Support;

namespace Platform.Specs.Storage;

/// <summary>
/// <see cref="PostgresJournalErrors"/> against errors the real PostgreSQL server (<see cref="TestPostgres"/>)
/// raises: a table with a unique key written twice, and errors that are not duplicates.
/// </summary>
[Trait("Category", "Postgres")]
public sealed class PostgresJournalErrorsSpecs
{
    private readonly PostgresJournalErrors _errors = new();

    private static async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(await TestPostgres.NewDatabaseAsync());
        await connection.OpenAsync();
        await Execute(connection, """
            CREATE TABLE journal (
              ordering BIGSERIAL PRIMARY KEY,
              persistence_id TEXT NOT NULL,
              sequence_number BIGINT NOT NULL,
              UNIQUE (persistence_id, sequence_number))
            """);
        return connection;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresException> Failure(NpgsqlConnection connection, string sql) =>
        await Assert.ThrowsAsync<PostgresException>(() => Execute(connection, sql));

    [Fact]
    public async Task A_second_row_with_the_same_unique_key_is_a_duplicate_key_also_when_wrapped()
    {
        await using var connection = await OpenAsync();
        await Execute(connection, "INSERT INTO journal (persistence_id, sequence_number) VALUES ('partition-a-0', 2)");
        var error = await Failure(connection, "INSERT INTO journal (persistence_id, sequence_number) VALUES ('partition-a-0', 2)");
        Assert.Equal("23505", error.SqlState);
        Assert.True(_errors.IsDuplicateKey(error));
        Assert.True(_errors.IsDuplicateKey(new InvalidOperationException("Journal write failed", new AggregateException(error))));
        Assert.False(new SqliteJournalErrors().IsDuplicateKey(error)); // each store's adapter knows only its own errors
    }

    [Fact]
    public async Task Other_constraints_and_syntax_errors_are_not_duplicate_keys()
    {
        await using var connection = await OpenAsync();
        var notNull = await Failure(connection, "INSERT INTO journal (persistence_id, sequence_number) VALUES (NULL, 1)");
        Assert.Equal("23502", notNull.SqlState);
        Assert.False(_errors.IsDuplicateKey(notNull));
        var syntax = await Failure(connection, "INSERT INTO journal VALUES (");
        Assert.Equal("42601", syntax.SqlState);
        Assert.False(_errors.IsDuplicateKey(syntax));
    }

    [Fact]
    public async Task A_refused_connection_is_not_a_duplicate_key()
    {
        // A port that was just free: nothing listens there, so the server refuses the connection.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestPostgres.Server) { Port = port, Timeout = 5 }.ConnectionString);
        var refused = await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync());
        Assert.Contains(JournalErrors.Chain(refused), e => e is SocketException { SocketErrorCode: SocketError.ConnectionRefused });
        Assert.False(_errors.IsDuplicateKey(refused));
    }
}
