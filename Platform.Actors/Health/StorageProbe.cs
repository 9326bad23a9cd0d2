using Akka.Actor;
using Akka.Persistence;

namespace Platform.Actors.Health;

/// <summary>Asks the node's <see cref="StorageProbe"/> for one journal write round trip.</summary>
internal sealed record ProbeStorage
{
    public static readonly ProbeStorage Instance = new();
}

/// <summary>The outcome of a storage probe: whether the write was acknowledged, and if not, why.</summary>
internal sealed record StorageProbeResult(bool Ok, string Reason);

/// <summary>
/// The readiness check's way to storage: a real write through the node's journal plugin (the same path a
/// partition's append takes), so "storage reachable" means "a write is acknowledged", not "a socket opens".
/// Concurrent probes share one write; a writer that fails (recovery or persist) stops, and the next probe
/// starts a fresh one, which is how the check comes back once the database does.
/// </summary>
internal sealed class StorageProbe : ReceiveActor
{
    private readonly string _persistenceId;
    private readonly List<IActorRef> _waiting = [];
    private IActorRef? _writer;

    public StorageProbe(string persistenceId)
    {
        _persistenceId = persistenceId;
        Receive<ProbeStorage>(_ =>
        {
            _waiting.Add(Sender);
            if (_waiting.Count > 1) return; // a write is in flight: its answer serves this probe too
            _writer ??= Context.Watch(Context.ActorOf(Akka.Actor.Props.Create(() => new StorageProbeWriter(_persistenceId))));
            _writer.Tell(ProbeStorage.Instance);
        });
        Receive<StorageProbeResult>(result =>
        {
            if (!result.Ok && _writer is not null)
            {
                Context.Unwatch(_writer);
                _writer = null; // it stops itself; the next probe gets a fresh one
            }
            Answer(result);
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_writer)) return;
            _writer = null;
            Answer(new StorageProbeResult(false, "The storage probe's writer stopped before it answered"));
        });
    }

    /// <param name="persistenceId">One per node (its cluster address), so that nodes sharing a journal never write the same log.</param>
    public static Props Props(string persistenceId) => Akka.Actor.Props.Create(() => new StorageProbe(persistenceId));

    private void Answer(StorageProbeResult result)
    {
        foreach (var waiting in _waiting) waiting.Tell(result);
        _waiting.Clear();
    }
}

/// <summary>Persists one <see cref="StorageProbed"/> per probe and tells its parent how the write went.</summary>
internal sealed class StorageProbeWriter : ReceivePersistentActor
{
    public StorageProbeWriter(string persistenceId)
    {
        PersistenceId = persistenceId;
        Recover<StorageProbed>(_ => { });
        Command<ProbeStorage>(_ => Persist(new StorageProbed(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), _ =>
        {
            Context.Parent.Tell(new StorageProbeResult(true, $"A journal write was acknowledged (sequence number {LastSequenceNr})"));
            // Keep only the newest event: the probe runs every few seconds for the node's whole life.
            if (LastSequenceNr > 1) DeleteMessages(LastSequenceNr - 1);
        }));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(_ => { }); // the next successful probe deletes them
    }

    public override string PersistenceId { get; }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Context.Parent.Tell(new StorageProbeResult(false, $"Journal recovery failed: {reason.GetBaseException().Message}"));
        base.OnRecoveryFailure(reason, message);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Context.Parent.Tell(new StorageProbeResult(false, $"Journal write failed: {cause.GetBaseException().Message}"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        Context.Parent.Tell(new StorageProbeResult(false, $"Journal write rejected: {cause.GetBaseException().Message}"));
        base.OnPersistRejected(cause, @event, sequenceNr);
        Context.Stop(Self); // a rejected write leaves the actor running; the parent has already let go of it
    }
}
