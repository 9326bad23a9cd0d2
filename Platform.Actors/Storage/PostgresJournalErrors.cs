using Npgsql;

namespace Platform.Actors.Storage;

/// <summary>PostgreSQL's SQLSTATE 23505, unique_violation (https://www.postgresql.org/docs/current/errcodes-appendix.html).</summary>
internal sealed class PostgresJournalErrors : IJournalErrors
{
    public bool IsDuplicateKey(Exception cause) =>
        JournalErrors.Chain(cause).Any(e => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation });
}
