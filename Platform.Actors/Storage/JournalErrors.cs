using Akka.Configuration;

namespace Platform.Actors.Storage;

/// <summary>Chooses the <see cref="IJournalErrors"/> of a journal's provider.</summary>
internal static class JournalErrors
{
    public const string ProviderNamePath = "akka.persistence.journal.sql.provider-name";

    /// <summary>The adapter of the journal a node's <paramref name="config"/> configures.</summary>
    public static IJournalErrors ForJournal(Config config) => ForProvider(config.GetString(ProviderNamePath));

    /// <summary>
    /// By <c>akka.persistence.journal.sql.provider-name</c> (linq2db's names: "SQLite.MS", "PostgreSQL.15", ...).
    /// A store without an adapter has every failure taken as a storage error, never as a duplicate.
    /// </summary>
    public static IJournalErrors ForProvider(string? providerName) => providerName switch
    {
        not null when providerName.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase) => new SqliteJournalErrors(),
        not null when providerName.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase) => new PostgresJournalErrors(),
        _ => new UnclassifiedJournalErrors(),
    };

    /// <summary><paramref name="cause"/> and every exception it wraps, inner and aggregated, outermost first.</summary>
    public static IEnumerable<Exception> Chain(Exception cause)
    {
        var pending = new Stack<Exception>();
        pending.Push(cause);
        while (pending.Count > 0)
        {
            var e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
                for (var i = aggregate.InnerExceptions.Count - 1; i >= 0; i--) pending.Push(aggregate.InnerExceptions[i]);
            else if (e.InnerException is { } inner)
                pending.Push(inner);
        }
    }

    private sealed class UnclassifiedJournalErrors : IJournalErrors
    {
        public bool IsDuplicateKey(Exception cause) => false;
    }
}
