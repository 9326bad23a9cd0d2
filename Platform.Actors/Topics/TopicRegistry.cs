using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Persistence;
using Platform.Actors.Configuration;
using Platform.Actors.Partitions;

namespace Platform.Actors.Topics;

/// <summary>
/// The persistent list of topics (Kafka keeps it in ZooKeeper or KRaft). It runs as a cluster singleton;
/// the Kafka listener's admin requests reach it through the node's proxy, and the gateways and the
/// listener's topic caches subscribe to its changes. It also tells partitions when their topic is deleted or its
/// configs change, and starts every partition once it has recovered, so retention runs without a client request:
/// all of these a batch of <c>platform.node.partition-wake-batch</c> per interval, never thousands at once (each
/// message starts its partition's actor, and 10,000 starting together flood the node and its journal).
/// </summary>
internal sealed class TopicRegistry : ReceivePersistentActor, IWithTimers
{
    /// <summary>Time to send the next batch of paced partition messages.</summary>
    private sealed record NotifyNextBatch
    {
        public static readonly NotifyNextBatch Instance = new();
    }

    /// <summary>What the registry tells every partition of a topic, paced: start, take the topic's configs, delete yourself.</summary>
    private enum PartitionNotice
    {
        Wake,
        ApplyConfig,
        Delete,
    }

    public const string PersistenceIdValue = "topic-registry";
    private const int SnapshotEvery = 100;

    private readonly IActorRef _partitions;
    private readonly NodeSettings _settings;
    private readonly TopicLimits _limits;
    private readonly HashSet<IActorRef> _subscribers = [];
    // Partitions still to be told, as ranges of one topic's partition numbers [From, To), oldest first.
    private readonly LinkedList<(PartitionNotice Notice, Guid TopicId, int From, int To)> _toNotify = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private TopicRegistryState _state = TopicRegistryState.Empty;
    // Who waits for the one write in flight (Persist stashes every other command meanwhile), to be told if it fails.
    private IActorRef? _writing;

    public TopicRegistry(IActorRef partitions, NodeSettings settings, TopicLimits limits)
    {
        _partitions = partitions;
        _settings = settings;
        _limits = limits;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is TopicRegistrySnapshot s) _state = TopicRegistryState.FromSnapshot(s);
        });
        Recover<TopicCreated>(e => _state = _state.Apply(e));
        Recover<TopicPartitionsIncreased>(e => _state = _state.Apply(e));
        Recover<TopicDeleted>(e => _state = _state.Apply(e));
        Recover<TopicConfigChanged>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            WakeAll();
            _log.Info("Topic registry recovered with {TopicCount} topics", _state.ByName.Count);
        });

        Command<CreateTopic>(command => Handle(_state.Decide(command, _settings.TopicDefaults, Guid.NewGuid(), _limits), command.ValidateOnly));
        Command<CreatePartitions>(command => Handle(_state.Decide(command, _limits), command.ValidateOnly));
        Command<AlterTopicConfig>(command => Handle(_state.Decide(command, _settings.TopicDefaults, _limits), command.ValidateOnly));
        Command<NotifyNextBatch>(_ => NotifyNextBatchOfPartitions());
        Command<DeleteTopic>(command => Handle(_state.Decide(command), validateOnly: false));
        Command<GetTopics>(HandleGetTopics);
        Command<GetTopicById>(query => Sender.Tell(new TopicByIdResult(query.TopicId, _state.FindById(query.TopicId))));
        Command<SubscribeTopics>(_ =>
        {
            if (_subscribers.Add(Sender)) Context.Watch(Sender);
            Sender.Tell(new TopicsChanged(_state.Topics.ToList()));
        });
        Command<Terminated>(t => _subscribers.Remove(t.ActorRef));
        // A gateway whose cache does not know a topic id asks here, the source of truth, before saying no.
        Command<IPartitionRequest>(request =>
        {
            var topic = _state.FindById(request.TopicId);
            if (topic is not null && request.Partition >= 0 && request.Partition < topic.PartitionCount)
                _partitions.Forward(request);
            else
                Sender.Tell(request.Reject(ErrorCode.UnknownTopicOrPartition,
                    topic is null ? $"Unknown topic id {request.TopicId}" : $"Topic '{topic.Name}' has no partition {request.Partition}"));
        });
        // A member left or was downed: its partitions restart elsewhere at once, not at the next client
        // request, because parked long polls, retention and offsets depend on them running.
        Command<ClusterEvent.MemberRemoved>(removed =>
        {
            _log.Info("Member {Address} removed; waking every partition so that its partitions restart elsewhere", removed.Member.Address);
            WakeAll();
        });
        Command<ClusterEvent.CurrentClusterState>(_ => { });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning("Topic registry snapshot failed: {Reason}", f.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => PersistenceIdValue;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        base.PreStart();
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberRemoved));
    }

    protected override void PostStop()
    {
        Cluster.Get(Context.System).Unsubscribe(Self);
        base.PostStop();
    }

    public static Props Props(IActorRef partitions, NodeSettings settings, TopicLimits limits) =>
        Akka.Actor.Props.Create(() => new TopicRegistry(partitions, settings, limits));

    /// <summary>What the cluster singleton manager runs: the registry under a backoff supervisor (see <see cref="RestartBackoff"/>).</summary>
    public static Props SupervisedProps(IActorRef partitions, NodeSettings settings, TopicLimits limits) =>
        settings.RegistryRestart.Supervise(Props(partitions, settings, limits), "registry");

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // Akka stops the registry after this; the supervisor starts it again from the journal. The requester learns
        // now, with Kafka's error for a failed log write, instead of at its timeout.
        _log.Error(cause, "Topic registry: journal write {SequenceNr} failed; restarting from the journal after a backoff", sequenceNr);
        _writing?.Tell(new TopicCommandResult(ErrorCode.KafkaStorageError, $"The topic registry's journal write failed: {cause.Message}", null));
        _writing = null;
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void Handle(TopicRegistryState.Decision decision, bool validateOnly)
    {
        if (decision.Event is null)
        {
            Sender.Tell(new TopicCommandResult(decision.Error, decision.Message, null));
            return;
        }
        if (validateOnly)
        {
            Sender.Tell(new TopicCommandResult(ErrorCode.None, null, _state.TopicAfter(decision.Event)));
            return;
        }
        var replyTo = _writing = Sender;
        Persist(decision.Event, e =>
        {
            _writing = null;
            var topic = Applied(e);
            replyTo.Tell(new TopicCommandResult(ErrorCode.None, null, topic));
        });
    }

    /// <summary>Applies a persisted event, tells subscribers and partitions, and returns the topic it touched.</summary>
    private TopicInfo? Applied(object e)
    {
        var before = e switch
        {
            TopicPartitionsIncreased p => _state.FindById(p.TopicId),
            TopicDeleted d => _state.FindById(d.TopicId),
            _ => null,
        };
        _state = _state.Apply(e);
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(_state.ToSnapshot());

        // Subscribers first: a local gateway then has the change in its mailbox before the client has
        // the reply, so the client's next request is routed with current metadata.
        var changed = new TopicsChanged(_state.Topics.ToList());
        foreach (var subscriber in _subscribers) subscriber.Tell(changed);

        switch (e)
        {
            case TopicCreated created:
                _log.Info("Created topic {Topic} ({TopicId}) with {PartitionCount} partitions", created.Topic.Name, created.Topic.TopicId, created.Topic.PartitionCount);
                Wake(created.Topic, 0);
                return created.Topic;
            case TopicPartitionsIncreased increased:
                var grown = _state.FindById(increased.TopicId)!;
                _log.Info("Topic {Topic} now has {PartitionCount} partitions", grown.Name, grown.PartitionCount);
                Wake(grown, before!.PartitionCount);
                return grown;
            case TopicConfigChanged configChanged:
                var altered = _state.FindById(configChanged.TopicId)!;
                _log.Info("Topic {Topic} configs are now {Config}", altered.Name, altered.Config);
                Notify(PartitionNotice.ApplyConfig, altered.TopicId, 0, altered.PartitionCount);
                return altered;
            case TopicDeleted:
                _log.Info("Deleted topic {Topic} ({TopicId})", before!.Name, before.TopicId);
                Notify(PartitionNotice.Delete, before.TopicId, 0, before.PartitionCount);
                return before;
            default:
                return null;
        }
    }

    /// <summary>Every partition of every topic: what was waiting to be woken is part of it (deletes and configs still go out).</summary>
    private void WakeAll()
    {
        for (var node = _toNotify.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Notice == PartitionNotice.Wake) _toNotify.Remove(node);
            node = next;
        }
        foreach (var topic in _state.Topics) Wake(topic, 0);
    }

    /// <summary>Queues the topic's partitions from <paramref name="fromPartition"/> on to be woken.</summary>
    private void Wake(TopicInfo topic, int fromPartition) => Notify(PartitionNotice.Wake, topic.TopicId, fromPartition, topic.PartitionCount);

    /// <summary>Queues partitions [<paramref name="from"/>, <paramref name="to"/>) of a topic to be told; the first batch goes now.</summary>
    private void Notify(PartitionNotice notice, Guid topicId, int from, int to)
    {
        if (from >= to) return;
        _toNotify.AddLast((notice, topicId, from, to));
        if (!Timers.IsTimerActive(nameof(NotifyNextBatch))) NotifyNextBatchOfPartitions();
    }

    private void NotifyNextBatchOfPartitions()
    {
        var budget = _settings.PartitionWakeBatch;
        while (budget > 0 && _toNotify.First is { } first)
        {
            var (notice, topicId, from, to) = first.Value;
            var topic = _state.FindById(topicId);
            // A wake or config of a topic deleted (or shrunk by a delete and re-create) since it was queued is not sent;
            // a delete goes to every partition the topic had. A config sent is the one in force when it goes.
            var end = notice == PartitionNotice.Delete ? to : Math.Min(to, topic?.PartitionCount ?? 0);
            var take = Math.Min(budget, Math.Max(0, end - from));
            for (var p = from; p < from + take; p++)
            {
                _partitions.Tell(notice switch
                {
                    PartitionNotice.Wake => new WakePartition(topicId, p),
                    PartitionNotice.ApplyConfig => new ApplyTopicConfig(topicId, p, topic!.Config),
                    _ => (object)new DeletePartition(topicId, p),
                });
            }
            budget -= Math.Max(1, take);
            if (from + take >= end) _toNotify.RemoveFirst();
            else first.Value = (notice, topicId, from + take, to);
        }
        if (_toNotify.Count > 0) Timers.StartSingleTimer(nameof(NotifyNextBatch), NotifyNextBatch.Instance, _settings.PartitionWakeInterval);
    }

    private void HandleGetTopics(GetTopics query)
    {
        if (query.Names.Count == 0)
        {
            Sender.Tell(new TopicsResult(_state.Topics.Select(t => new TopicLookup(t.Name, ErrorCode.None, null, t)).ToList()));
            return;
        }

        var missing = query.Names.Where(n => _state.Find(n) is null && TopicNames.Validate(n) is null).Distinct().ToList();
        if (!query.AllowAutoCreate || !_settings.AutoCreateTopics || missing.Count == 0)
        {
            Sender.Tell(Lookup(query.Names));
            return;
        }
        var replyTo = Sender;
        // Each decided against the state with the ones before it, so that together they stay within the limits.
        var events = new List<TopicCreated>();
        var after = _state;
        foreach (var name in missing)
        {
            if (after.Decide(new CreateTopic(name, _settings.AutoCreatePartitions, new Dictionary<string, string>()), _settings.TopicDefaults, Guid.NewGuid(), _limits).Event
                is not TopicCreated created) continue;
            events.Add(created);
            after = after.Apply(created);
        }
        PersistAll(events, e => Applied(e));
        DeferAsync(query, q => replyTo.Tell(Lookup(q.Names)));
    }

    private TopicsResult Lookup(IReadOnlyList<string> names) => new(names.Select(name =>
        TopicNames.Validate(name) is { } invalid
            ? new TopicLookup(name, ErrorCode.InvalidTopicException, invalid, null)
            : _state.Find(name) is { } topic
                ? new TopicLookup(name, ErrorCode.None, null, topic)
                : new TopicLookup(name, ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist", null)).ToList());
}
