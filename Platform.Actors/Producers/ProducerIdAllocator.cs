using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Platform.Actors.Configuration;

namespace Platform.Actors.Producers;

/// <summary>
/// Hands out idempotent producer ids for the whole cluster (Kafka's InitProducerId): a persistent cluster
/// singleton, so no two nodes allocate at once and a failover resumes from the journal. It persists a block
/// reservation and answers from it without a write per id; the logic is <see cref="ProducerIdAllocatorState"/>.
/// </summary>
internal sealed class ProducerIdAllocator : ReceivePersistentActor
{
    public const string PersistenceIdValue = "producer-id-allocator";

    private readonly ProducerIdSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ProducerIdAllocatorState _state = ProducerIdAllocatorState.Empty;
    /// <summary>Who waits for the block being persisted (commands are stashed meanwhile, so at most one).</summary>
    private IActorRef? _waiting;

    public ProducerIdAllocator(ProducerIdSettings settings)
    {
        _settings = settings;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is ProducerIdAllocatorSnapshot s) _state = ProducerIdAllocatorState.FromSnapshot(s);
        });
        Recover<ProducerIdBlockReserved>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            _state = _state.Recovered();
            _log.Info("Producer id allocator recovered: the next block starts at {ProducerId}", _state.ReservedUpTo);
        });

        Command<AllocateProducerId>(_ => Allocate(Sender));
        // Ids handed out before a restart lie below the recovered state's next id too (the rest of a block is skipped).
        Command<GetProducerIdBound>(_ => Sender.Tell(new ProducerIdBound(_state.NextProducerId)));
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Producer id allocator snapshot failed: {Reason}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => PersistenceIdValue;

    public static Props Props(ProducerIdSettings settings) => Akka.Actor.Props.Create(() => new ProducerIdAllocator(settings));

    /// <summary>
    /// What a cluster singleton manager runs: the allocator under a backoff supervisor, so that after a failed
    /// journal write or recovery (the allocator then stops) it starts again and recovers instead of staying dead.
    /// </summary>
    public static Props SupervisedProps(ProducerIdSettings settings) =>
        BackoffSupervisor.Props(Props(settings), "allocator", settings.RestartMinBackoff, settings.RestartMaxBackoff, settings.RestartRandomFactor);

    private void Allocate(IActorRef replyTo)
    {
        var decision = _state.Decide(_settings.BlockSize);
        if (decision.Reserve is { } block)
        {
            _waiting = replyTo;
            Persist(block, e =>
            {
                _waiting = null;
                _state = _state.Apply(e);
                if (LastSequenceNr % _settings.SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());
                Allocate(replyTo);
            });
            return;
        }
        if (decision.Error != ErrorCode.None)
        {
            replyTo.Tell(new ProducerIdAllocated(decision.Error, decision.Message, -1, -1));
            return;
        }
        _state = _state.HandedOut(decision.ProducerId);
        replyTo.Tell(new ProducerIdAllocated(ErrorCode.None, null, decision.ProducerId, 0));
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops the actor after this; the block was never reserved, so no id of it was handed out.
        _log.Error(cause, "Producer id allocator: reserving a block failed; restarting from the journal");
        _waiting?.Tell(new ProducerIdAllocated(ErrorCode.KafkaStorageError, $"Reserving producer ids failed: {cause.Message}", -1, -1));
        _waiting = null;
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Producer id allocator: the journal rejected a block reservation");
        _waiting?.Tell(new ProducerIdAllocated(ErrorCode.KafkaStorageError, $"The journal rejected the reservation: {cause.Message}", -1, -1));
        _waiting = null;
        base.OnPersistRejected(cause, @event, sequenceNr);
    }
}
