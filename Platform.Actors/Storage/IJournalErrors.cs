namespace Platform.Actors.Storage;

/// <summary>
/// What a journal failure means, told by the store's own error codes rather than by message text. One
/// implementation per store (<see cref="SqliteJournalErrors"/>, <see cref="PostgresJournalErrors"/>),
/// chosen from the configured provider by <see cref="JournalErrors.ForProvider(string?)"/>.
/// </summary>
internal interface IJournalErrors
{
    /// <summary>
    /// Whether <paramref name="cause"/> (or an exception it wraps) is the store refusing a row whose unique
    /// key is taken: for the journal, another writer appended the same (persistence id, sequence number) first.
    /// </summary>
    bool IsDuplicateKey(Exception cause);
}
