using Microsoft.Data.Sqlite;

namespace Platform.Actors.Storage;

/// <summary>
/// SQLite's result codes (https://www.sqlite.org/rescode.html): a unique or primary key violation is
/// SQLITE_CONSTRAINT (19) with the extended code SQLITE_CONSTRAINT_UNIQUE (2067) or
/// SQLITE_CONSTRAINT_PRIMARYKEY (1555). Other constraints (NOT NULL, CHECK, foreign keys) share 19 and are not duplicates.
/// </summary>
internal sealed class SqliteJournalErrors : IJournalErrors
{
    public const int SqliteConstraint = 19;
    public const int SqliteConstraintPrimaryKey = 1555;
    public const int SqliteConstraintUnique = 2067;

    public bool IsDuplicateKey(Exception cause) =>
        JournalErrors.Chain(cause).Any(e => e is SqliteException
        {
            SqliteErrorCode: SqliteConstraint,
            SqliteExtendedErrorCode: SqliteConstraintUnique or SqliteConstraintPrimaryKey,
        });
}
