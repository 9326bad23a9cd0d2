using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Coordination;
using Platform.Actors.Configuration;

namespace Platform.Actors.Coordination;

/// <summary>
/// What a <see cref="PostgresLease"/> reads beyond Akka's <see cref="TimeoutSettings"/>, from its lease section
/// (<c>akka.coordination.lease.postgres</c> for the split-brain resolver), once, when Akka.Coordination creates the lease.
/// </summary>
/// <param name="ConnectionString">The database holding the lease table: the section's own, else the journal's
/// (the cluster's shared PostgreSQL, which every node already reaches).</param>
/// <param name="Table">The lease table, created on first use.</param>
/// <param name="HoldAfterRelease">How long a released lease stays with its owner before another may take it.</param>
internal sealed record PostgresLeaseSettings(string ConnectionString, string Table, TimeSpan HoldAfterRelease)
{
    public static PostgresLeaseSettings Create(LeaseSettings lease, Config system)
    {
        var section = SettingsSection.Within(lease.LeaseConfig, "the lease section (akka.coordination.lease.postgres)");
        var connectionString = section.String("connection-string");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            // The journal's database is the cluster's PostgreSQL; a node on SQLite has no database shared with
            // the others, so a lease there would decide nothing: refuse at start instead of at the first split.
            if (!system.GetString(Storage.JournalErrors.ProviderNamePath, "").StartsWith("PostgreSQL", StringComparison.Ordinal))
                throw new ConfigurationException(
                    "The PostgreSQL lease (split-brain-resolver.active-strategy = lease-majority) needs the cluster's PostgreSQL: " +
                    "run with --storage postgres, or set the lease's connection-string");
            connectionString = system.GetString("akka.persistence.journal.sql.connection-string");
        }
        var table = section.String("table");
        // The table name goes into SQL text (identifiers cannot be parameters): a plain identifier only.
        if (!Regex.IsMatch(table, "^[a-z_][a-z0-9_]{0,62}$"))
            throw new ConfigurationException($"The lease table must be a plain lower-case SQL identifier, got '{table}'");
        var settings = new PostgresLeaseSettings(connectionString, table, section.Duration("hold-after-release"));
        if (lease.TimeoutSettings.HeartbeatInterval >= lease.TimeoutSettings.HeartbeatTimeout)
            throw new ConfigurationException(
                $"The lease's heartbeat-interval ({lease.TimeoutSettings.HeartbeatInterval}) must be shorter than its heartbeat-timeout " +
                $"({lease.TimeoutSettings.HeartbeatTimeout}): the owner renews before the lease expires");
        return settings;
    }
}
