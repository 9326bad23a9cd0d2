using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Platform.Actors.Configuration;
using Platform.Actors.Log;
using Platform.Actors.Metrics;
using Platform.Actors.Storage;
using Platform.Actors.Topics;

namespace Platform.Actors.Partitions;

/// <summary>
/// One partition's log: a sharded persistent actor whose home node is the partition's leader. It is the
/// thin shell around <see cref="PartitionState"/>, which decides: the actor persists what the state
/// decides (each batch as one journal event, acknowledged after the write; on SQLite through the node's
/// <see cref="SqliteJournalWriter"/>, see <see cref="Append{TEvent}"/>), replies, parks fetches at the
/// log end (long poll) with timers, starts a <see cref="JournalReader"/> task for reads the in-memory tail
/// cannot serve, and runs retention on a timer.
/// </summary>
internal sealed class PartitionActor : ReceivePersistentActor, IWithTimers
{
    private sealed class RetentionTick
    {
        public static readonly RetentionTick Instance = new();
    }

    private sealed record ParkedFetchExpired(long Id);

    private sealed class AskTopicAgain
    {
        public static readonly AskTopicAgain Instance = new();
    }

    /// <summary>
    /// Sent to itself once the writes pending at the hand-off are done: the requests queued before it have been
    /// answered by then (DeferAsync runs its handler at once when nothing is pending, and a stop there would drop them).
    /// </summary>
    private sealed class StopNow
    {
        public static readonly StopNow Instance = new();
    }

    /// <summary>A direct append sent to the node's journal writer and not yet answered.</summary>
    private sealed class PendingAppend(long sequenceNr, Action<long> written)
    {
        public long SequenceNr { get; } = sequenceNr;
        public Action<long> Written { get; } = written;
        /// <summary>What waits for this append and every one before it (see <see cref="AfterWrites"/>).</summary>
        public List<Action>? After { get; set; }
    }

    private readonly Guid _topicId;
    private readonly int _partition;
    private readonly IActorRef _registry;
    private readonly PartitionSettings _settings;
    private readonly IJournalErrors _journalErrors;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PartitionState _state;
    private readonly Dictionary<long, (Fetch Request, IActorRef ReplyTo)> _parked = new();
    /// <summary>Journal reads waiting for one of the max-journal-readers readers to finish, oldest first.</summary>
    private readonly Queue<(Fetch Request, IActorRef ReplyTo)> _waitingReads = new();
    private int _readers;
    /// <summary>Cancelled when the partition stops: its journal reads are abandoned, as a child's would be.</summary>
    private readonly CancellationTokenSource _stopping = new();
    private readonly JournalBatchReader _journal = JournalBatchReader.For(Context.System);
    /// <summary>Produces accepted but not yet in the journal, oldest first: told of a failed write.</summary>
    private readonly Queue<(Produce Request, IActorRef ReplyTo)> _unwritten = new();
    /// <summary>
    /// Produces refused for a gap in their producer's sequence (or an unknown producer), held until the journal
    /// says whether this incarnation is stale (see <see cref="HoldUntilJournalChecked"/>); non-empty while a probe runs.
    /// </summary>
    private readonly List<(Produce Request, IActorRef ReplyTo, ProduceDecision.Reject Reject)> _awaitingProbe = [];
    private bool _probing;
    /// <summary>When this incarnation last knew itself current: recovered, wrote, or asked the journal.</summary>
    private long _knownCurrentMs = NowMs;
    private readonly Stopwatch _recoveryWatch = Stopwatch.StartNew();
    private readonly BrokerMetrics _metrics = BrokerMetrics.For(Context.System);
    private readonly string _leader;
    /// <summary>
    /// The node's own journal writer on SQLite, where a batch goes as soon as it is decided, any number in flight;
    /// null where writes go through Akka.Persistence (PostgreSQL, or the setting off), one in flight at a time.
    /// </summary>
    private readonly SqliteJournalWriter? _writer;
    /// <summary>This incarnation's appends: the writer refuses the rest of them after one fails.</summary>
    private readonly SqliteJournalWriter.WriteStream _stream = new();
    private readonly Queue<PendingAppend> _appending = new();
    private PendingAppend? _lastAppend;
    /// <summary>Direct writes: the last sequence number handed to the writer, and the last one it committed.</summary>
    private long _appendedSequenceNr;
    private long _writtenSequenceNr;
    /// <summary>A moved log start is being written: deletes of records wait for it, retention skips its tick.</summary>
    private bool _logStartPending;
    private TopicConfig? _config;
    private long _nextParkedId;
    private long _recoveryMs;
    private long _eventsSinceSnapshot;
    private int _snapshotsSinceDelete;

    public PartitionActor(Guid topicId, int partition, IActorRef registry, PartitionSettings settings, IJournalErrors journalErrors)
    {
        _topicId = topicId;
        _partition = partition;
        _registry = registry;
        _settings = settings;
        _journalErrors = journalErrors;
        _state = new PartitionState(topicId, partition, settings,
            new TailCache(TailCacheBudget.For(Context.System), settings.TailMaxBytesPerPartition));
        var self = Cluster.Get(Context.System).SelfAddress;
        _leader = $"{self.Host}:{self.Port}";
        PersistenceId = PartitionEntity.PersistenceId(topicId, partition);
        _writer = SqliteJournalWriter.For(Context.System);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is PartitionSnapshot snapshot) _state.Restore(snapshot);
        });
        Recover<RecordBatchAppended>(appended =>
        {
            _state.Recover(appended, LastSequenceNr, NowMs);
            _eventsSinceSnapshot++;
        });
        Recover<LogStartAdvanced>(_state.Apply);
        Recover<RecoveryCompleted>(_ =>
        {
            _recoveryMs = _recoveryWatch.ElapsedMilliseconds;
            _appendedSequenceNr = _writtenSequenceNr = LastSequenceNr;
            _log.Debug("Partition {TopicId}-{Partition} recovered at offset {Offset} in {RecoveryMs} ms",
                _topicId, _partition, _state.NextOffset, _recoveryMs);
        });

        AwaitingTopic();
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static Props Props(Guid topicId, int partition, IActorRef registry, PartitionSettings settings, IJournalErrors journalErrors) =>
        Akka.Actor.Props.Create(() => new PartitionActor(topicId, partition, registry, settings, journalErrors));

    protected override void PreStart()
    {
        base.PreStart();
        // The reply is stashed by persistence until recovery is done, so the config is there right after.
        _registry.Tell(new GetTopicById(_topicId));
        Timers.StartPeriodicTimer("ask-topic", AskTopicAgain.Instance, _settings.TopicLookupRetry);
    }

    /// <summary>Until the registry says which topic this is (and its config), requests wait in the stash.</summary>
    private void AwaitingTopic()
    {
        Command<TopicByIdResult>(result =>
        {
            Timers.Cancel("ask-topic");
            if (result.Topic is { } topic && _partition < topic.PartitionCount)
            {
                _config = topic.Config;
                Become(Active);
                Timers.StartPeriodicTimer("retention", RetentionTick.Instance, _settings.RetentionCheckInterval);
            }
            else
            {
                Become(Deleted);
            }
            Stash.UnstashAll();
        });
        Command<AskTopicAgain>(_ => _registry.Tell(new GetTopicById(_topicId)));
        Command<StopPartition>(_ => Context.Stop(Self));
        CommandAny(_ => Stash.Stash());
    }

    private void Active()
    {
        Command<Produce>(HandleProduce);
        Command<Fetch>(HandleFetch);
        Command<GetPartitionStatus>(_ => Sender.Tell(_state.Status(_leader, _recoveryMs)));
        Command<FindOffsetForTimestamp>(find => Sender.Tell(_state.Find(find)));
        Command<ParkedFetchExpired>(expired =>
        {
            if (_parked.Remove(expired.Id, out var parked)) parked.ReplyTo.Tell(_state.Empty(parked.Request));
        });
        Command<RetentionTick>(_ =>
        {
            if (!_logStartPending) ApplyRetention();
        });
        Command<JournalAppended>(Appended);
        Command<JournalAppendFailed>(AppendFailed);
        Command<JournalHighest>(JournalChecked);
        // A journal reader finished: the oldest read waiting for one is decided again (the tail may now hold it).
        Command<JournalReader.Done>(_ =>
        {
            if (_readers == 0) return; // a read of an incarnation before a restart
            _readers--;
            if (_waitingReads.TryDequeue(out var next)) Carry(_state.Decide(next.Request), next.Request, next.ReplyTo);
        });
        Command<RestartPartition>(_ =>
        {
            Sender.Tell(_state.Status(_leader, _recoveryMs));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
        Command<DeletePartition>(_ => DeleteEverything());
        Command<StopPartition>(stop =>
        {
            // Handed off (a graceful leave or a rebalance): requests that reach this incarnation from now on are
            // answered with the retriable NOT_LEADER_OR_FOLLOWER instead of being accepted into writes that
            // stop with it or left in its mailbox when it stops; both went unanswered and held the producer for
            // its whole request timeout (5 s in InProcessClusterSpecs' rolling restart). The retry reaches the
            // next incarnation, which sharding starts once this one has stopped. Parked fetches get their empty
            // answer now rather than never.
            Become(Stopping);
            foreach (var (_, parked) in _parked) parked.ReplyTo.Tell(_state.Empty(parked.Request));
            _parked.Clear();
            AfterWrites(stop, () => Self.Tell(StopNow.Instance));
        });
        Command<WakePartition>(_ => { });
        Command<TopicByIdResult>(result =>
        {
            if (result.Topic is { } topic) _config = topic.Config;
        });
        Command<ApplyTopicConfig>(apply => _config = apply.Config);
        Command<DeleteRecordsBefore>(request =>
        {
            if (_logStartPending) Stash.Stash();
            else HandleDeleteRecords(request);
        });
        Command<AskTopicAgain>(_ => { });
        // The older snapshots go once per snapshot-delete-every saves: each delete is a write transaction that the
        // journal's commits would wait for.
        Command<SaveSnapshotSuccess>(success =>
        {
            if (++_snapshotsSinceDelete < _settings.SnapshotDeleteEvery) return;
            _snapshotsSinceDelete = 0;
            DeleteSnapshots(new SnapshotSelectionCriteria(success.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(failure =>
            _log.Warning("Partition {TopicId}-{Partition}: snapshot failed: {Reason}", _topicId, _partition, failure.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(failure =>
            _log.Warning("Partition {TopicId}-{Partition}: deleting old events failed: {Reason}", _topicId, _partition, failure.Cause.Message));
    }

    /// <summary>Handed off, waiting for its last journal writes before it stops: every request is sent elsewhere.</summary>
    private void Stopping()
    {
        Command<StopNow>(_ => Context.Stop(Self));
        Command<JournalAppended>(Appended);
        Command<JournalAppendFailed>(AppendFailed);
        CommandAny(message =>
        {
            // Persist callbacks of writes accepted before the hand-off still run; anything else has nothing left to do.
            if (message is IPartitionRequest request)
                Sender.Tell(request.Reject(ErrorCode.NotLeaderOrFollower,
                    $"Partition {_partition} of topic {_topicId} is moving to another node: ask for metadata and send again"));
        });
    }

    /// <summary>The topic is gone (or never had this partition): answer every request with an error.</summary>
    private void Deleted()
    {
        CommandAny(message =>
        {
            switch (message)
            {
                case IPartitionRequest request:
                    Sender.Tell(request.Reject(ErrorCode.UnknownTopicOrPartition,
                        $"Partition {_partition} of topic {_topicId} does not exist"));
                    break;
                case DeletePartition:
                    DeleteEverything();
                    break;
                case StopPartition:
                    Context.Stop(Self);
                    break;
                // Writes accepted before the topic went are still answered.
                case JournalAppended appended:
                    Appended(appended);
                    break;
                case JournalAppendFailed failed:
                    AppendFailed(failed);
                    break;
            }
        });
    }

    private void HandleProduce(Produce produce)
    {
        switch (_state.Decide(produce.Batch, _config!, NowMs))
        {
            case ProduceDecision.Reject { Error: ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId } gap:
                HoldUntilJournalChecked(produce, gap);
                break;
            case ProduceDecision.Reject reject:
                Sender.Tell(produce.Reject(reject.Error, reject.Message));
                break;
            case ProduceDecision.Duplicate duplicate:
                // A retry of a batch already taken: acknowledge it with its first offset, once that write is done.
                var retryFrom = Sender;
                AfterWrites(produce, () => retryFrom.Tell(_state.Acknowledge(produce, duplicate.OriginalBaseOffset)));
                break;
            case ProduceDecision.Append append:
                PersistBatch(produce, _state.Accept(append, NowMs), append.BaseOffset);
                break;
        }
    }

    /// <summary>
    /// Writes an accepted batch as one journal event and acknowledges it once written. Writes are pipelined: the
    /// next batch is decided while this one is in flight, and acknowledgements keep the order of the writes.
    /// </summary>
    private void PersistBatch(Produce produce, RecordBatchAppended appended, long baseOffset)
    {
        var replyTo = Sender;
        _unwritten.Enqueue((produce, replyTo));
        var started = Stopwatch.GetTimestamp();
        Append(appended, sequenceNr =>
        {
            _metrics.JournalWritten(started, appended.Batch.Length, Platform.Protocol.Records.RecordBatch.RecordCount(appended.Batch));
            _unwritten.TryDequeue(out _);
            _knownCurrentMs = NowMs;
            _state.Apply(appended, sequenceNr, NowMs);
            replyTo.Tell(_state.Acknowledge(produce, baseOffset));
            ServeParked();
            if (++_eventsSinceSnapshot >= _settings.SnapshotEvery) Snapshot();
        });
    }

    /// <summary>
    /// Appends <paramref name="event"/> after everything this incarnation appended before, and calls
    /// <paramref name="written"/> with its sequence number once it is durable. Through the node's journal writer, every
    /// append is sent at once; through Akka.Persistence, PersistAsync sends the next only when the previous is written
    /// (Akka's rule for a persistent actor). Callbacks run in the order of the appends either way.
    /// </summary>
    private void Append<TEvent>(TEvent @event, Action<long> written) where TEvent : notnull
    {
        if (_writer is null)
        {
            PersistAsync(@event, _ => written(LastSequenceNr));
            return;
        }
        var pending = new PendingAppend(++_appendedSequenceNr, written);
        _appending.Enqueue(pending);
        _lastAppend = pending;
        _writer.Append(_stream, PersistenceId, pending.SequenceNr, @event, Self);
    }

    /// <summary>Runs <paramref name="action"/> once every append made so far is written (at once when none is pending).</summary>
    private void AfterWrites<TToken>(TToken token, Action action) where TToken : notnull
    {
        if (_writer is null) DeferAsync(token, _ => action());
        else if (_lastAppend is null) action();
        else (_lastAppend.After ??= []).Add(action);
    }

    /// <summary>The writer committed the oldest pending append (it answers in the order of the appends).</summary>
    private void Appended(JournalAppended appended)
    {
        if (!_appending.TryDequeue(out var pending) || pending.SequenceNr != appended.SequenceNr)
        {
            // Cannot happen while the writer keeps its order; a partition that lost track of its writes must not go on.
            _log.Error("Partition {TopicId}-{Partition}: the journal writer answered append {SequenceNr}, expected {Expected}; restarting from the journal",
                _topicId, _partition, appended.SequenceNr, pending?.SequenceNr);
            Context.Stop(Self);
            return;
        }
        _writtenSequenceNr = appended.SequenceNr;
        if (_appending.Count == 0) _lastAppend = null;
        pending.Written(appended.SequenceNr);
        if (pending.After is { } after)
            foreach (var action in after) action();
    }

    /// <summary>
    /// The writer did not store an append, and refuses every later one of this incarnation: as after a failed
    /// PersistAsync, the waiting producers are told and the partition stops, to recover from what the journal holds.
    /// </summary>
    private void AppendFailed(JournalAppendFailed failed)
    {
        JournalWriteFailed(failed.Cause, failed.SequenceNr);
        Context.Stop(Self);
    }

    /// <summary>The highest sequence number this incarnation knows written.</summary>
    private long WrittenSequenceNr => _writer is null ? LastSequenceNr : _writtenSequenceNr;

    /// <summary>This incarnation's own writes still under way, as the journal's highest sequence number may count them.</summary>
    private int WritesInFlight => _writer is null ? _unwritten.Count : _appending.Count;

    /// <summary>
    /// A moved log start is written before it applies, and nothing else moves it meanwhile: record deletes wait in the
    /// stash and retention skips its tick (through Akka.Persistence, Persist stashes every command meanwhile).
    /// </summary>
    private void PersistLogStart(LogStartAdvanced advance, Action<LogStartAdvanced> applied)
    {
        if (_writer is null)
        {
            Persist(advance, applied);
            return;
        }
        _logStartPending = true;
        Append(advance, _ =>
        {
            _logStartPending = false;
            applied(advance);
            Stash.UnstashAll();
        });
    }

    /// <summary>Deletes this partition's events up to <paramref name="toSequenceNr"/>, behind its appends.</summary>
    private void DeleteJournal(long toSequenceNr)
    {
        if (_writer is null) DeleteMessages(toSequenceNr);
        else _writer.Delete(_stream, PersistenceId, toSequenceNr, Self);
    }

    /// <summary>
    /// A producer whose batch leaves a gap (or that this partition does not know) has had acknowledgements this
    /// incarnation never saw, or this incarnation is stale: another one of this partition (on the far side of a
    /// network partition whose sharding allocation forked, or one that recovered while this one still ran) wrote
    /// and acknowledged batches after this one recovered. A stale incarnation that only ever refuses never writes,
    /// so the journal's unique key never stops it: it would answer stale log ends and fetches for as long as it
    /// lives, and its refusals make the client start the partition afresh under a new producer id, re-sending
    /// batches another incarnation already stored (the nemesis's duplicates). So the refusal waits for the
    /// journal's highest sequence number: beyond this incarnation's, it stops, answering NOT_LEADER_OR_FOLLOWER so
    /// the client retries at a fresh incarnation that recovers everything; otherwise the refusal stands.
    /// </summary>
    private void HoldUntilJournalChecked(Produce produce, ProduceDecision.Reject gap)
    {
        _awaitingProbe.Add((produce, Sender, gap));
        ProbeJournal();
    }

    private void ProbeJournal()
    {
        if (_probing) return;
        _probing = true;
        Context.ActorOf(JournalHighestProbe.Props(PersistenceId, WrittenSequenceNr + 1, _settings.JournalReadTimeout));
    }

    private void JournalChecked(JournalHighest highest)
    {
        // Writes still in flight are this incarnation's own: only events beyond them were written by another.
        _probing = false;
        var stale = highest.WrittenByAnother(WrittenSequenceNr, WritesInFlight);
        if (!stale && highest.SequenceNr is not null) _knownCurrentMs = NowMs;
        if (stale)
            _log.Warning("Partition {TopicId}-{Partition}: the journal holds sequence number {JournalSequenceNr} beyond this incarnation's {SequenceNr}: " +
                         "another incarnation wrote since this one recovered; this one stops", _topicId, _partition, highest.SequenceNr, WrittenSequenceNr);
        foreach (var (produce, replyTo, gap) in _awaitingProbe)
            replyTo.Tell(stale
                ? produce.Reject(ErrorCode.NotLeaderOrFollower, "This incarnation of the partition was stale; it restarts from the journal")
                : produce.Reject(gap.Error, gap.Message));
        _awaitingProbe.Clear();
        if (!stale) return;
        foreach (var (id, parked) in _parked)
        {
            Timers.Cancel(("parked", id));
            parked.ReplyTo.Tell(parked.Request.Reject(ErrorCode.NotLeaderOrFollower, "This incarnation of the partition was stale; it restarts from the journal"));
        }
        _parked.Clear();
        Context.Stop(Self);
    }

    private void HandleFetch(Fetch fetch) => Carry(_state.Decide(fetch), fetch, Sender);

    /// <summary>Replies, parks the fetch until a batch arrives or its wait ends, or starts a journal read.</summary>
    private void Carry(FetchDecision decision, Fetch fetch, IActorRef replyTo)
    {
        switch (decision)
        {
            case FetchDecision.Reply reply:
                if (reply.Result.Batches.Count > 0) _metrics.TailCacheRead(hit: true);
                replyTo.Tell(reply.Result);
                break;
            // Beyond the bounds a fetch is answered empty at once, as when its wait ends: the client fetches again.
            case FetchDecision.Park when _parked.Count >= _settings.MaxParkedFetches:
                replyTo.Tell(_state.Empty(fetch));
                break;
            case FetchDecision.ReadJournal when _readers >= _settings.MaxJournalReaders:
                if (_waitingReads.Count >= _settings.MaxParkedFetches) replyTo.Tell(_state.Empty(fetch));
                else _waitingReads.Enqueue((fetch, replyTo));
                break;
            case FetchDecision.Park park:
                var id = _nextParkedId++;
                _parked[id] = (fetch, replyTo);
                Timers.StartSingleTimer(("parked", id), new ParkedFetchExpired(id), park.Wait);
                // Read at its end and not written for a while: a stale incarnation would look just like this.
                if (NowMs - _knownCurrentMs >= (long)_settings.IdleJournalCheck.TotalMilliseconds) ProbeJournal();
                break;
            case FetchDecision.ReadJournal read:
                _metrics.TailCacheRead(hit: false);
                _readers++;
                JournalReader.Start(_journal, PersistenceId, read, fetch, replyTo, Self, _settings.JournalReadTimeout, _stopping.Token);
                break;
        }
    }

    private void ServeParked()
    {
        if (_parked.Count == 0) return;
        foreach (var (id, parked) in _parked)
        {
            Timers.Cancel(("parked", id));
            Carry(_state.Serve(parked.Request), parked.Request, parked.ReplyTo);
        }
        _parked.Clear();
    }

    /// <summary>The move is persisted before the reply, so it holds after a restart or a hand-over.</summary>
    private void HandleDeleteRecords(DeleteRecordsBefore request)
    {
        switch (_state.Decide(request))
        {
            case DeleteRecordsDecision.Reply reply:
                Sender.Tell(reply.Result);
                break;
            case DeleteRecordsDecision.Advance advance:
                var replyTo = Sender;
                PersistLogStart(advance.Event, e =>
                {
                    _state.Apply(e);
                    if (e.DeletedToSequenceNr > 0) DeleteJournal(e.DeletedToSequenceNr);
                    Snapshot();
                    _log.Info("Partition {TopicId}-{Partition}: records before {LogStartOffset} deleted on request", _topicId, _partition, e.LogStartOffset);
                    replyTo.Tell(_state.RecordsDeleted());
                });
                break;
        }
    }

    private void ApplyRetention()
    {
        var now = NowMs;
        _state.ExpireProducers(now);
        if (_state.DecideRetention(_config!, now) is not { } advance) return;
        PersistLogStart(advance, e =>
        {
            _state.Apply(e);
            DeleteJournal(e.DeletedToSequenceNr);
            Snapshot();
            _log.Info("Partition {TopicId}-{Partition}: retention moved the log start to {LogStartOffset}", _topicId, _partition, e.LogStartOffset);
        });
    }

    /// <summary>The snapshot's sequence number is the last written event's, whichever way the events were written.</summary>
    private void Snapshot()
    {
        SnapshotStore.Tell(new SaveSnapshot(new SnapshotMetadata(PersistenceId, WrittenSequenceNr, Context.System.Scheduler.Now.UtcDateTime), _state.ToSnapshot()));
        _eventsSinceSnapshot = 0;
    }

    private void DeleteEverything()
    {
        foreach (var (id, parked) in _parked)
        {
            Timers.Cancel(("parked", id));
            parked.ReplyTo.Tell(parked.Request.Reject(ErrorCode.UnknownTopicOrPartition, "The topic was deleted"));
        }
        _parked.Clear();
        while (_waitingReads.TryDequeue(out var waiting))
            waiting.ReplyTo.Tell(waiting.Request.Reject(ErrorCode.UnknownTopicOrPartition, "The topic was deleted"));
        _state.ClearTail();
        DeleteJournal(long.MaxValue);
        DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        Become(Deleted);
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _state.ClearTail();
        base.PostStop();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops the actor after this; the write was never acknowledged, and the next incarnation
        // recovers from what the journal really holds.
        JournalWriteFailed(cause, sequenceNr);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void JournalWriteFailed(Exception cause, long sequenceNr)
    {
        _log.Error(cause, "Partition {TopicId}-{Partition}: journal write {SequenceNr} failed; restarting from the journal", _topicId, _partition, sequenceNr);
        // Tell every producer waiting on this incarnation, so it retries now instead of at its timeout. A
        // duplicate key means the journal's unique key on (persistence id, sequence number) refused the write:
        // another incarnation of this partition (e.g. across a network partition, before the split-brain
        // resolver acted) appended first. That key is the last line of defence against a forked log.
        var (error, message) = _journalErrors.IsDuplicateKey(cause)
            ? (ErrorCode.NotLeaderOrFollower, $"Another incarnation of this partition wrote sequence number {sequenceNr} first; this one stops")
            : (ErrorCode.KafkaStorageError, $"The journal write failed: {cause.Message}");
        while (_unwritten.TryDequeue(out var waiting)) waiting.ReplyTo.Tell(waiting.Request.Reject(error, message));
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Partition {TopicId}-{Partition}: journal rejected write {SequenceNr}", _topicId, _partition, sequenceNr);
        while (_unwritten.TryDequeue(out var waiting))
            waiting.ReplyTo.Tell(waiting.Request.Reject(ErrorCode.KafkaStorageError, $"The journal rejected the write: {cause.Message}"));
        // A rejected batch was never stored: the offsets assigned after it would leave a gap, so restart.
        Context.Stop(Self);
    }
}
