using Akka.Actor;
using Akka.Persistence;

namespace Platform.Actors.Storage;

/// <summary>
/// Asks the journal for a partition's highest sequence number and tells its parent (<see cref="JournalHighest"/>),
/// without replaying events (max 0). A child, so its parent keeps serving while the database answers; a partition
/// and a group coordinator use it to find out whether another incarnation has written since they recovered.
/// </summary>
internal sealed class JournalHighestProbe : ReceiveActor
{
    public JournalHighestProbe(string persistenceId, long fromSequenceNr, TimeSpan timeout)
    {
        var journal = Persistence.Instance.Apply(Context.System).JournalFor(null);
        journal.Tell(new ReplayMessages(fromSequenceNr, long.MaxValue, 0, persistenceId, Self));
        Context.SetReceiveTimeout(timeout);
        Receive<ReplayedMessage>(_ => { });
        Receive<RecoverySuccess>(success => Finish(success.HighestSequenceNr));
        Receive<ReplayMessagesFailure>(_ => Finish(null));
        Receive<ReceiveTimeout>(_ => Finish(null));
    }

    public static Props Props(string persistenceId, long fromSequenceNr, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new JournalHighestProbe(persistenceId, fromSequenceNr, timeout));

    private void Finish(long? highest)
    {
        Context.Parent.Tell(new JournalHighest(highest));
        Context.Stop(Self);
    }
}

/// <summary>The journal's highest sequence number of the persistence id; null when the journal could not answer.</summary>
internal sealed record JournalHighest(long? SequenceNr)
{
    /// <summary>
    /// Whether the journal holds events beyond this incarnation's <paramref name="lastSequenceNr"/> and its
    /// <paramref name="inFlight"/> own writes still under way: another incarnation wrote, so this one is stale.
    /// </summary>
    public bool WrittenByAnother(long lastSequenceNr, int inFlight) => SequenceNr is { } journal && journal > lastSequenceNr + inFlight;
}
