using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Akka.Persistence;
using Akka.Remote;
using Platform.Actors.Configuration;
using Platform.Actors.Metrics;
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
    private int _commitsSinceSnapshot;
    private int _commitsInFlight;
    private bool _registered;
    /// <summary>
    /// The directory confirmed it has persisted this group. Until then, commit acknowledgements are held: a group
    /// whose offsets a client saw committed must be one the directory knows, or a later OffsetFetch (answered by the
    /// directory for groups it does not know) would find no offsets, say after the whole cluster restarted.
    /// </summary>
    private bool _confirmed;
    private readonly List<(IActorRef ReplyTo, object Reply)> _heldReplies = [];
    private int _ticksAwaitingTopics;
    private (GroupStateName State, string ProtocolType)? _reported;

    public GroupCoordinator(string groupId, GroupSettings settings, IActorRef registry, IActorRef directory)
    {
        _settings = settings;
        _registry = registry;
        _directory = directory;
        _state = new GroupCoordinatorState(groupId, settings);
        PersistenceId = GroupEntity.PersistenceId(groupId);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is GroupSnapshot s) _state.Restore(s);
        });
        Recover<OffsetsCommitted>(e => _state.ApplyCommitted(e.Offsets));
        Recover<OffsetsRemoved>(e => _state.ApplyRemoved(e.Partitions));
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
    /// a new coordinator must not refuse a commit just because it started a moment ago.
    /// </summary>
    private void AwaitingTopics()
    {
        Command<TopicsChanged>(changed =>
        {
            _state.UpdateTopics(changed.Topics.ToDictionary(t => t.Name, t => t.PartitionCount), Now);
            Become(Active);
            ExpireOffsets();
            UpdateTimers();
            Stash.UnstashAll();
        });
        // Ask again now and then in case the registry (a singleton) was moving when we first asked.
        Command<Tick>(_ =>
        {
            if (++_ticksAwaitingTopics % 20 == 0) _registry.Tell(SubscribeTopics.Instance);
        });
        CommandAny(_ => Stash.Stash());
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
            // Only a group with nothing to lose stops: no members, no commit still being written.
            if (_state.Members.Count == 0 && _state.State == GroupStateName.Empty && _commitsInFlight == 0 && _heldReplies.Count == 0)
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

    public static Props Props(string groupId, GroupSettings settings, IActorRef registry, IActorRef directory) =>
        Akka.Actor.Props.Create(() => new GroupCoordinator(groupId, settings, registry, directory));

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
        if (_commitsInFlight > 0) return; // the commit's completion sets the timers again
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
        _commitsInFlight++;
        PersistAsync(new OffsetsCommitted(accepted), e =>
        {
            _commitsInFlight--;
            _state.ApplyCommitted(e.Offsets);
            if (_confirmed) replyTo.Tell(reply);
            else _heldReplies.Add((replyTo, reply));
            if (!_registered) Register();
            ReportState();
            if (++_commitsSinceSnapshot >= _settings.SnapshotEvery)
            {
                _commitsSinceSnapshot = 0;
                SaveSnapshot(_state.ToSnapshot());
            }
            UpdateTimers();
        });
    }

    private void HandleFetch(OffsetFetch fetch)
    {
        var wanted = fetch.Partitions ?? _state.Offsets.Keys.OrderBy(tp => tp).ToList();
        Sender.Tell(new OffsetFetchResult(ErrorCode.None, null, wanted.Select(tp =>
            _state.Offsets.TryGetValue(tp, out var o) ? o : new CommittedOffset(tp.Topic, tp.Partition, -1, null, -1)).ToList()));
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
        Persist(new OffsetsRemoved(_state.Offsets.Keys.ToList()), e =>
        {
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
