using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Akka.Persistence.Sql.Snapshot;

namespace Platform.Actors.Storage;

/// <summary>
/// Akka.Persistence.Sql's snapshot store, with every LoadSnapshot answered. Akka's circuit breaker, half-open after an
/// outage, lets one call through and fails the others by throwing from <c>WithCircuitBreaker</c> itself (its
/// <c>Task&lt;T&gt;</c> overload is not async), inside the store's receive: the store restarted and the LoadSnapshot
/// was lost, so the recovering partition heard nothing until Akka's <c>recovery-event-timeout</c> (30 s). That was the
/// nemesis's pg-cut stall (PostgresOutageSpecs). Here the throw becomes the LoadSnapshotFailed the breaker meant: the
/// partition's recovery fails at once, it stops, and sharding starts it again on the client's retry, which the
/// breaker's next trial call (every reset-timeout) lets through once the database is back. Selected by the plugin's
/// <c>class</c> in platform.conf.
/// </summary>
internal sealed class HalfOpenSafeSnapshotStore(Config snapshotConfig) : SqlSnapshotStore(snapshotConfig)
{
    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (OpenCircuitException e) when (message is LoadSnapshot)
        {
            Context.GetLogger().Debug("Snapshot store: a load failed fast at the half-open circuit breaker; answered as failed");
            Sender.Tell(new LoadSnapshotFailed(e));
            return true;
        }
    }
}
