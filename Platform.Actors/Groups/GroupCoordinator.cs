using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Akka.Remote;
using Platform.Actors.Configuration;
using Platform.Actors.Metrics;
using Platform.Actors.Partitions;
using Platform.Actors.Storage;
using Platform.Protocol.Groups;
using Platform.Actors.Topics;

namespace Platform.Actors.Groups;

/// <summary>
/// One consumer group's coordinator: a sharded persistent actor that runs <see cref="GroupCoordinatorState"/>,
/// persists committed offsets (with snapshots, so a long commit history recovers fast), watches each
/// member's Kafka connection (its actor), and keeps topic metadata from the registry for assignment and commit validation.
/// It ticks (session and rebalance deadlines) only while the group has members or is rebalancing, and an
/// empty coordinator that gets no request for <c>passivate-idle-after</c> stops: a node holds coordinators
/// for groups in use, not for every group id ever named.
/// </summary>
/// <remarks>
/// Two incarnations of one group's coordinator can run at once: a node the cluster downed goes on until it learns
/// it, while sharding has already started the group on a survivor. Both use the same journal, whose unique key on
/// (persistence id, sequence number) is the fence, as for partitions: every incarnation writes
/// <see cref="CoordinatorFenced"/> after its recovery and answers nothing before (requests wait in the stash), so
/// an older incarnation's next commit is refused by the key and never acknowledged, or, when the older one wrote
/// first, the fence is refused and the new one stops without answering wrongly and recovers again on the next
/// request. An incarnation that is not written to would still answer OffsetFetch from what it recovered, so every
/// OffsetFetch first asks the journal whether another incarnation has written since (see <see cref="HandleFetch"/>).
/// </remarks>
internal sealed class GroupCoordinator : ReceivePersistentActor, IWithTimers
{
    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    private sealed class RetentionCheck
    {
        public static readonly RetentionCheck Instance = new();
    }

    private sealed class RegistrationRetry
    {
        public static readonly RegistrationRetry Instance = new();
    }

    private const string TickTimer = "tick";
    private const string IdleTimer = "idle";
    private const string RetentionTimer = "retention";
    private const string RegistrationTimer = "registration";

    private readonly GroupSettings _settings;
    private readonly IActorRef _registry;
    private readonly IActorRef _directory;
    private readonly GroupCoordinatorState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly BrokerMetrics _metrics = BrokerMetrics.For(Context.System);
    /// <summary>Rebalances of <see cref="_state"/> already added to the node's counter.</summary>
    private long _rebalancesCounted;
    /// <summary>Events since the last snapshot, those replayed at recovery too: each incarnation adds its fence.</summary>
    private int _eventsSinceSnapshot;
    private bool _registered;
    /// <summary>
    /// The directory confirmed it has persisted this group. Until then, commit acknowledgements are held: a group
    /// whose offsets a client saw committed must be one the directory knows, or a later OffsetFetch (answered by the
    /// directory for groups it does not know) would find no offsets, say after the whole cluster restarted.
    /// </summary>
    private bool _confirmed;
    private readonly List<(IActorRef ReplyTo, object Reply)> _heldReplies = [];
    private readonly IJournalErrors _journalErrors;
    /// <summary>Requests stashed until this incarnation's fence is written: refused (NOT_COORDINATOR) if it is refused.</summary>
    private readonly List<(IGroupMessage Request, IActorRef ReplyTo)> _heldUntilFenced = [];
    /// <summary>Requests whose journal write is under way (commits, a delete), oldest first: refused if the write fails; its count is the events in flight.</summary>
    private readonly Queue<(IGroupMessage Request, IActorRef ReplyTo)> _unwritten = new();
    /// <summary>OffsetFetches answered when the journal check under way returns; non-empty while one runs.</summary>
    private List<(OffsetFetch Request, IActorRef ReplyTo)> _checking = [];
    /// <summary>OffsetFetches that arrived during a check, for the next one: that check's answer may predate them.</summary>
    private List<(OffsetFetch Request, IActorRef ReplyTo)> _awaitingCheck = [];
    private int _ticksAwaitingTopics;
    private (GroupStateName State, string ProtocolType)? _reported;

    public GroupCoordinator(string groupId, GroupSettings settings, IActorRef registry, IActorRef directory, IJournalErrors journalErrors)
    {
        _settings = settings;
        _journalErrors = journalErrors;
        _registry = registry;
        _directory = directory;
        _state = new GroupCoordinatorState(groupId, settings);
        PersistenceId = GroupEntity.PersistenceId(groupId);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is GroupSnapshot s) _state.Restore(s);
        });
        Recover<OffsetsCommitted>(e =>
        {
            _state.ApplyCommitted(e.Offsets);
            _eventsSinceSnapshot++;
        });
        Recover<OffsetsRemoved>(e =>
        {
            _state.ApplyRemoved(e.Partitions);
            _eventsSinceSnapshot++;
        });
        Recover<CoordinatorFenced>(_ => _eventsSinceSnapshot++);
        Recover<RecoveryCompleted>(_ =>
        {
            _state.MarkRecovered(Now);
            // A group with offsets registers again on every start: idempotent, and it heals a registration that
            // was lost with a node that stopped before the directory stored it.
            if (_state.Offsets.Count > 0) Register();
        });

        AwaitingTopics();
    }

    /// <summary>
    /// Until the registry's topic list arrives, requests wait: assignment and commit validation need it, and
    /// a new coordinator must not refuse a commit just because it started a moment ago. Then the fence.
    /// </summary>
    private void AwaitingTopics()
    {
        Command<TopicsChanged>(changed =>
        {
            _state.UpdateTopics(changed.Topics.ToDictionary(t => t.Name, t => t.PartitionCount), Now);
            Fence();
        });
        // Ask again now and then in case the registry (a singleton) was moving when we first asked.
        Command<Tick>(_ =>
        {
            if (++_ticksAwaitingTopics % 20 == 0) _registry.Tell(SubscribeTopics.Instance);
        });
        CommandAny(Hold);
    }

    /// <summary>
    /// Writes this incarnation's <see cref="CoordinatorFenced"/> and only then answers: from here on no older
    /// incarnation can write (the journal's unique key refuses its next sequence number), so nothing this one
    /// answers can miss a commit acknowledged elsewhere. If the older one wrote first, this write fails and the
    /// actor stops (<see cref="OnPersistFailure"/>); sharding starts it again on the next request, and that
    /// incarnation recovers the older one's commit.
    /// </summary>
    private void Fence()
    {
        Become(Fencing);
        PersistAsync(new CoordinatorFenced(Cluster.Get(Context.System).SelfAddress.ToString(), Now), _ =>
        {
            _heldUntilFenced.Clear();
            if (++_eventsSinceSnapshot >= _settings.SnapshotEvery) Snapshot();
            Become(Active);
            ExpireOffsets();
            UpdateTimers();
            Stash.UnstashAll();
        });
    }

    private void Fencing()
    {
        Command<Tick>(_ => { });
        CommandAny(Hold);
    }

    /// <summary>Stashes a message until the coordinator is active, remembering who waits for a request's answer.</summary>
    private void Hold(object message)
    {
        if (message is IGroupMessage request) _heldUntilFenced.Add((request, Sender));
        Stash.Stash();
    }

    private void Active()
    {
        Handle<JoinGroup>(join => Apply(_state.Join(join, Sender, Now, () => NewMemberId(join.ClientId))));
        Handle<SyncGroup>(sync => Apply(_state.Sync(sync, Sender, Now)));
        Handle<Heartbeat>(heartbeat => Sender.Tell(_state.Heartbeat(heartbeat, Now)));
        Handle<LeaveGroup>(leave => Apply(_state.Leave(leave, Sender, Now)));
        Handle<Terminated>(t => Apply(_state.MemberTerminated(t.ActorRef, Now)));
        // The remoting association with the node holding a member's Kafka connection closed: the connection's
        // actor is out of reach with it, long before the cluster's failure detector gives up on that node.
        // Treat it as the member's death; if it was only a network blip, the member finds itself unknown
        // at its next heartbeat and rejoins.
        Command<DisassociatedEvent>(e =>
        {
            var gone = _state.Members.Where(m => m.Ref is IActorRef r && r.Path.Address.Equals(e.RemoteAddress)).ToList();
            foreach (var member in gone) Apply(_state.MemberTerminated(member.Ref!, Now));
            if (gone.Count > 0) UpdateTimers();
        });
        Handle<OffsetCommit>(HandleCommit);
        Handle<OffsetFetch>(HandleFetch);
        Command<JournalHighest>(JournalChecked);
        Handle<DescribeGroup>(_ => Sender.Tell(Exists ? _state.Describe() : _state.Describe() with { State = nameof(GroupStateName.Dead) }));
        Handle<DeleteGroup>(HandleDelete);
        Handle<TopicsChanged>(changed => Apply(_state.UpdateTopics(changed.Topics.ToDictionary(t => t.Name, t => t.PartitionCount), Now)));
        Handle<Tick>(_ => Apply(_state.Tick(Now)));
        Command<RetentionCheck>(_ => ExpireOffsets());
        Command<GroupRegistrationConfirmed>(_ =>
        {
            _confirmed = true;
            Timers.Cancel(RegistrationTimer);
            foreach (var (replyTo, reply) in _heldReplies) replyTo.Tell(reply);
            _heldReplies.Clear();
        });
        // The directory is a singleton: while it moves, a registration can be lost; ask again until it confirms.
        Command<RegistrationRetry>(_ =>
        {
            if (!_confirmed) _directory.Tell(new RegisterGroup(_state.GroupId), Self);
        });
        Command<IdleCheck>(_ =>
        {
            // Only a group with nothing to lose stops: no members, no commit still being written, no fetch being checked.
            if (_state.Members.Count == 0 && _state.State == GroupStateName.Empty && _unwritten.Count == 0 && _heldReplies.Count == 0 && _checking.Count == 0)
                Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            else UpdateTimers();
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Group {GroupId}: snapshot failed: {Reason}", _state.GroupId, f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(_ => { });
    }

    public override string PersistenceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string groupId, GroupSettings settings, IActorRef registry, IActorRef directory, IJournalErrors journalErrors) =>
        Akka.Actor.Props.Create(() => new GroupCoordinator(groupId, settings, registry, directory, journalErrors));

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static string NewMemberId(string clientId) => $"{(clientId == "" ? "member" : clientId)}-{Guid.NewGuid():N}";

    protected override void PreStart()
    {
        base.PreStart();
        _registry.Tell(SubscribeTopics.Instance);
        // Until the topics arrive the tick re-subscribes; once active, UpdateTimers decides.
        Timers.StartPeriodicTimer(TickTimer, Tick.Instance, _settings.Tick);
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        base.PostStop();
    }

    /// <summary>Kafka's notion of existence: a group has members, offsets, or is known to the directory.</summary>
    private bool Exists => _registered || _state.Members.Count > 0 || _state.Offsets.Count > 0;

    private void Apply(List<GroupEffect> effects)
    {
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case ReplyTo r:
                    ((IActorRef)r.Target).Tell(r.Message);
                    break;
                case WatchMember w:
                    Context.Watch((IActorRef)w.Ref);
                    break;
                case UnwatchMember u:
                    Context.Unwatch((IActorRef)u.Ref);
                    break;
            }
        }
        if (!_registered && _state.Members.Count > 0) Register();
        ReportState();
        if (_state.Rebalances > _rebalancesCounted)
        {
            _metrics.Rebalanced(_state.GroupId, _state.Rebalances - _rebalancesCounted);
            _rebalancesCounted = _state.Rebalances;
        }
    }

    private void Register()
    {
        _registered = true;
        _directory.Tell(new RegisterGroup(_state.GroupId), Self);
        if (!_confirmed) Timers.StartPeriodicTimer(RegistrationTimer, RegistrationRetry.Instance, _settings.RegistrationRetry);
    }

    /// <summary>Tells the directory the group's state and protocol type when they changed (for ListGroups).</summary>
    private void ReportState()
    {
        if (!_registered || _reported == (_state.State, _state.ProtocolType)) return;
        _reported = (_state.State, _state.ProtocolType);
        _directory.Tell(new GroupStateChanged(_state.GroupId, _state.State.ToString(), _state.ProtocolType));
    }

    /// <summary>A command handler after which the coordinator's timers follow the group's new state.</summary>
    private void Handle<T>(Action<T> handler) => Command<T>(message =>
    {
        handler(message);
        UpdateTimers();
    });

    /// <summary>
    /// A group with members or a rebalance under way ticks, for its deadlines. An empty one does not; it waits
    /// for its offsets' retention instead, and stops after <c>passivate-idle-after</c> without a request (each
    /// request restarts that wait).
    /// </summary>
    private void UpdateTimers()
    {
        if (_state.Members.Count > 0 || _state.State != GroupStateName.Empty)
        {
            if (!Timers.IsTimerActive(TickTimer)) Timers.StartPeriodicTimer(TickTimer, Tick.Instance, _settings.Tick);
            Timers.Cancel(IdleTimer);
            Timers.Cancel(RetentionTimer);
            return;
        }
        Timers.Cancel(TickTimer);
        Timers.StartSingleTimer(IdleTimer, IdleCheck.Instance, _settings.PassivateIdleAfter);
        if (_state.OffsetsExpireAtMs is { } at && !Timers.IsTimerActive(RetentionTimer))
            Timers.StartSingleTimer(RetentionTimer, RetentionCheck.Instance, TimeSpan.FromMilliseconds(Math.Max(0, at - Now + 1)));
    }

    /// <summary>Drops the offsets of a group empty for longer than offsets retention (not while a commit is being written).</summary>
    private void ExpireOffsets()
    {
        var expired = _state.ExpiredOffsets(Now);
        if (_unwritten.Count > 0) return; // the commit's completion sets the timers again
        if (expired.Count == 0)
        {
            UpdateTimers();
            return;
        }
        _log.Info("Group {GroupId}: dropping {Count} offsets after offsets retention", _state.GroupId, expired.Count);
        Persist(new OffsetsRemoved(expired), e =>
        {
            _state.ApplyRemoved(e.Partitions);
            UpdateTimers();
        });
    }

    private void HandleCommit(OffsetCommit commit)
    {
        var (error, message) = _state.CheckCommit(commit.MemberId, commit.GenerationId, commit.GroupInstanceId);
        if (error != ErrorCode.None)
        {
            Sender.Tell(new OffsetCommitResult(error, message, commit.Offsets.Select(o => new PartitionError(o.Topic, o.Partition, error)).ToList()));
            return;
        }
        var now = Now;
        var results = new List<PartitionError>();
        var accepted = new List<CommittedOffset>();
        foreach (var o in commit.Offsets)
        {
            var entryError = _state.CheckEntry(o);
            results.Add(new PartitionError(o.Topic, o.Partition, entryError));
            if (entryError == ErrorCode.None) accepted.Add(new CommittedOffset(o.Topic, o.Partition, o.Offset, o.Metadata, now));
        }
        var replyTo = Sender;
        var reply = new OffsetCommitResult(ErrorCode.None, null, results);
        if (accepted.Count == 0)
        {
            replyTo.Tell(reply);
            return;
        }
        _unwritten.Enqueue((commit, replyTo));
        PersistAsync(new OffsetsCommitted(accepted), e =>
        {
            _unwritten.Dequeue();
            _state.ApplyCommitted(e.Offsets);
            if (_confirmed) replyTo.Tell(reply);
            else _heldReplies.Add((replyTo, reply));
            if (!_registered) Register();
            ReportState();
            if (++_eventsSinceSnapshot >= _settings.SnapshotEvery) Snapshot();
            UpdateTimers();
        });
    }

    private void Snapshot()
    {
        _eventsSinceSnapshot = 0;
        SaveSnapshot(_state.ToSnapshot());
    }

    /// <summary>
    /// An OffsetFetch is answered once the journal has said that no other incarnation wrote since this one
    /// recovered (one query for the highest sequence number, no write): a stale incarnation that is never written
    /// to would otherwise answer the offsets it recovered, older than commits the live one acknowledged, and a
    /// consumer would start below them. Every fetch, not only after a quiet while as a partition checks: the fence
    /// makes the live incarnation write as soon as it starts, so this one's own recent writes prove nothing about
    /// the moment of the fetch, and any time-based shortcut is a window in which a stale answer gets out. OffsetFetch
    /// is rare next to commits (at assignment, and a lag exporter's polls); fetches arriving during a check share
    /// the next one. A check the journal does not answer in time answers COORDINATOR_NOT_AVAILABLE (retriable).
    /// </summary>
    private void HandleFetch(OffsetFetch fetch)
    {
        _awaitingCheck.Add((fetch, Sender));
        if (_checking.Count == 0) CheckJournal();
    }

    private void CheckJournal()
    {
        (_checking, _awaitingCheck) = (_awaitingCheck, []);
        Context.ActorOf(JournalHighestProbe.Props(PersistenceId, LastSequenceNr + 1, _settings.JournalCheckTimeout));
    }

    private void JournalChecked(JournalHighest highest)
    {
        if (highest.WrittenByAnother(LastSequenceNr, _unwritten.Count))
        {
            _log.Warning("Group {GroupId}: the journal holds sequence number {JournalSequenceNr} beyond this incarnation's {SequenceNr}: " +
                         "another incarnation of the coordinator wrote since this one recovered; this one stops", _state.GroupId, highest.SequenceNr, LastSequenceNr);
            RefuseEverythingWaiting(ErrorCode.NotCoordinator, $"This coordinator of group {_state.GroupId} was stale; the next request reaches one that recovers anew");
            Context.Stop(Self);
            return;
        }
        var answered = _checking;
        _checking = [];
        foreach (var (fetch, replyTo) in answered)
            replyTo.Tell(highest.SequenceNr is null
                ? GroupReplies.Refusal(fetch, ErrorCode.CoordinatorNotAvailable, $"The journal did not answer within {_settings.JournalCheckTimeout}; try again")
                : Offsets(fetch));
        if (_awaitingCheck.Count > 0) CheckJournal();
    }

    private OffsetFetchResult Offsets(OffsetFetch fetch)
    {
        var wanted = fetch.Partitions ?? _state.Offsets.Keys.OrderBy(tp => tp).ToList();
        return new OffsetFetchResult(ErrorCode.None, null, wanted.Select(tp =>
            _state.Offsets.TryGetValue(tp, out var o) ? o : new CommittedOffset(tp.Topic, tp.Partition, -1, null, -1)).ToList());
    }

    /// <summary>
    /// Answers every request this incarnation still owes an answer with <paramref name="code"/>, as it stops: the
    /// held, the unwritten and the fetches waiting for a check. A commit written but held for the directory's
    /// confirmation is not among them; its client times out and retries it, which is harmless.
    /// </summary>
    private void RefuseEverythingWaiting(ErrorCode code, string text)
    {
        var waiting = _unwritten.Concat(_heldUntilFenced)
            .Concat(_checking.Select(c => ((IGroupMessage)c.Request, c.ReplyTo)))
            .Concat(_awaitingCheck.Select(c => ((IGroupMessage)c.Request, c.ReplyTo)));
        foreach (var (request, replyTo) in waiting) replyTo.Tell(GroupReplies.Refusal(request, code, text));
        // The held requests are answered: their stashed copies must not reach dead letters as the actor stops, where
        // DroppedRequestAnswerer would answer them a second time.
        Stash.ClearStash();
        _unwritten.Clear();
        _heldUntilFenced.Clear();
        _checking.Clear();
        _awaitingCheck.Clear();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops the actor after this; sharding starts the group again on its next request, and that incarnation
        // recovers what the journal really holds. A duplicate key is the fence at work: another incarnation took this
        // sequence number (its fence, or a stale one's commit that got there first).
        var taken = _journalErrors.IsDuplicateKey(cause);
        _log.Error(cause, "Group {GroupId}: journal write {SequenceNr} ({Event}) failed{Why}; this coordinator stops",
            _state.GroupId, sequenceNr, @event.GetType().Name, taken ? ": another incarnation of the coordinator wrote that sequence number first" : "");
        RefuseEverythingWaiting(taken ? ErrorCode.NotCoordinator : ErrorCode.CoordinatorNotAvailable, taken
            ? $"Another incarnation of group {_state.GroupId}'s coordinator wrote first; the next request reaches one that recovers anew"
            : $"The journal write failed: {cause.Message}");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void HandleDelete(DeleteGroup delete)
    {
        if (_state.Members.Count > 0)
        {
            Sender.Tell(new DeleteGroupResult(ErrorCode.NonEmptyGroup, $"Group {delete.GroupId} has {_state.Members.Count} active members"));
            return;
        }
        if (!_registered && _state.Offsets.Count == 0)
        {
            Sender.Tell(new DeleteGroupResult(ErrorCode.GroupIdNotFound, $"Group {delete.GroupId} does not exist"));
            return;
        }
        var replyTo = Sender;
        _unwritten.Enqueue((delete, replyTo));
        Persist(new OffsetsRemoved(_state.Offsets.Keys.ToList()), e =>
        {
            _unwritten.Dequeue();
            _state.ApplyRemoved(e.Partitions);
            DeleteMessages(LastSequenceNr - 1);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
            _directory.Tell(new UnregisterGroup(_state.GroupId));
            _registered = false;
            _confirmed = false;
            _reported = null;
            replyTo.Tell(new DeleteGroupResult(ErrorCode.None, null));
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
    }
}
