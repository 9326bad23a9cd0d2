using Platform.Actors.Configuration;
using Platform.Protocol.Groups;

namespace Platform.Actors.Groups;

/// <summary>Kafka's group states (GroupState.scala), by their Kafka names.</summary>
internal enum GroupStateName
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

/// <summary>
/// Kafka's classic consumer group protocol as a pure state machine: membership, generations, rebalances,
/// assignment and offset fencing, with time passed in. The <see cref="GroupCoordinator"/> actor feeds it
/// requests, timer ticks, DeathWatch notices and topic metadata, and carries out the effects it returns.
/// Membership is not persisted (after a coordinator restart members rejoin, as after a Kafka coordinator
/// moves without its metadata); committed offsets are, by the actor.
/// </summary>
internal sealed class GroupCoordinatorState(string groupId, GroupSettings settings)
{
    private readonly List<GroupMember> _members = [];
    private readonly Dictionary<TopicPartition, CommittedOffset> _offsets = new();
    private Dictionary<string, int> _assignedTopicCounts = new();
    private long _rebalanceDeadlineMs;
    private long _initialDelayDeadlineMs;

    public string GroupId { get; } = groupId;
    public GroupStateName State { get; private set; } = GroupStateName.Empty;

    /// <summary>Rebalances started since this incarnation began (entries into PreparingRebalance); not persisted, a metric's source.</summary>
    public long Rebalances { get; private set; }
    public int GenerationId { get; private set; }
    public string ProtocolType { get; private set; } = "";
    public string ProtocolName { get; private set; } = "";
    public string LeaderId { get; private set; } = "";
    public IReadOnlyList<GroupMember> Members => _members;
    public IReadOnlyDictionary<TopicPartition, CommittedOffset> Offsets => _offsets;

    /// <summary>Partition counts of existing topics, kept current by the actor.</summary>
    public IReadOnlyDictionary<string, int> Topics { get; private set; } = new Dictionary<string, int>();

    /// <summary>When the group last became empty (for offsets retention); -1 while it has members.</summary>
    public long EmptySinceMs { get; private set; } = -1;

    private GroupMember? Find(string memberId) => _members.FirstOrDefault(m => m.MemberId == memberId);

    // ---- JoinGroup -------------------------------------------------------------------------------

    public List<GroupEffect> Join(JoinGroup join, object replyTo, long nowMs, Func<string> newMemberId)
    {
        var effects = new List<GroupEffect>();
        void Fail(ErrorCode code, string message) =>
            effects.Add(new ReplyTo(replyTo, new JoinGroupResult(code, message, -1, null, null, "", join.MemberId, [])));

        if (string.IsNullOrEmpty(join.ProtocolType) || join.Protocols.Count == 0)
        {
            Fail(ErrorCode.InconsistentGroupProtocol, "A member must name a protocol type and at least one protocol");
            return effects;
        }
        if (join.SessionTimeoutMs < settings.MinSessionTimeoutMs || join.SessionTimeoutMs > settings.MaxSessionTimeoutMs)
        {
            Fail(ErrorCode.InvalidSessionTimeout,
                $"Session timeout {join.SessionTimeoutMs} ms is outside [{settings.MinSessionTimeoutMs}, {settings.MaxSessionTimeoutMs}] ms");
            return effects;
        }
        // Kafka has no error of its own for the rebalance timeout; it is a timeout the member asks for, as the session's is.
        if (join.RebalanceTimeoutMs < 0 || join.RebalanceTimeoutMs > settings.MaxRebalanceTimeoutMs)
        {
            Fail(ErrorCode.InvalidSessionTimeout,
                $"Rebalance timeout {join.RebalanceTimeoutMs} ms is outside [0, {settings.MaxRebalanceTimeoutMs}] ms (platform.group.max-rebalance-timeout)");
            return effects;
        }
        var others = _members.Where(m => m.MemberId != join.MemberId && (join.GroupInstanceId is null || m.GroupInstanceId != join.GroupInstanceId)).ToList();
        if (others.Count > 0 && (join.ProtocolType != ProtocolType || !CommonProtocols(others, join.Protocols).Any()))
        {
            Fail(ErrorCode.InconsistentGroupProtocol,
                $"Protocols {string.Join(",", join.Protocols.Select(p => p.Name))} of type '{join.ProtocolType}' share none with the group's members");
            return effects;
        }

        var member = join.MemberId == "" ? null : Find(join.MemberId);
        if (join.MemberId != "" && member is null)
        {
            Fail(ErrorCode.UnknownMemberId, $"Member {join.MemberId} is not in group {GroupId}");
            return effects;
        }

        if (member is null && join.GroupInstanceId is not null && _members.FirstOrDefault(m => m.GroupInstanceId == join.GroupInstanceId) is { } known)
        {
            // Static membership: the instance comes back under a new member id and, if nothing else changed,
            // gets its old assignment without a rebalance; the old member id is fenced.
            var oldRef = known.Ref;
            known.MemberId = newMemberId();
            known.Ref = join.MemberRef;
            known.ClientId = join.ClientId;
            known.ClientHost = join.ClientHost;
            known.LastHeartbeatMs = nowMs;
            if (oldRef is not null) effects.Add(new UnwatchMember(oldRef));
            if (join.MemberRef is not null) effects.Add(new WatchMember(join.MemberRef));
            if (State == GroupStateName.Stable && known.SameProtocols(join.Protocols))
            {
                if (LeaderId == "" || Find(LeaderId) is null) LeaderId = known.MemberId;
                effects.Add(new ReplyTo(replyTo, Result(known, includeMembers: false)));
                return effects;
            }
            member = known;
        }

        if (member is null)
        {
            if (_members.Count >= settings.MaxSize)
            {
                Fail(ErrorCode.GroupMaxSizeReached, $"Group {GroupId} already has the maximum of {settings.MaxSize} members");
                return effects;
            }
            member = new GroupMember(newMemberId(), join) { LastHeartbeatMs = nowMs };
            _members.Add(member);
            EmptySinceMs = -1;
            if (join.MemberRef is not null) effects.Add(new WatchMember(join.MemberRef));
            if (_members.Count == 1) ProtocolType = join.ProtocolType;
            member.PendingJoin = replyTo;
            PrepareRebalance(nowMs, effects, newMemberJoined: true);
            TryCompleteJoin(nowMs, effects);
            return effects;
        }

        // A known member (re)joins.
        var changed = !member.SameProtocols(join.Protocols);
        member.Protocols = join.Protocols;
        member.SessionTimeoutMs = join.SessionTimeoutMs;
        member.RebalanceTimeoutMs = join.RebalanceTimeoutMs;
        member.ServerAssignment = join.ServerAssignment;
        member.LastHeartbeatMs = nowMs;
        if (member.PendingJoin is not null)
            effects.Add(new ReplyTo(member.PendingJoin, new JoinGroupResult(ErrorCode.RebalanceInProgress, "Superseded by a newer join", -1, null, null, "", member.MemberId, [])));
        member.PendingJoin = replyTo;
        switch (State)
        {
            case GroupStateName.Stable when !changed && member.MemberId != LeaderId:
                // Nothing new: answer with the current generation (Kafka does the same for followers).
                member.PendingJoin = null;
                effects.Add(new ReplyTo(replyTo, Result(member, includeMembers: false)));
                break;
            case GroupStateName.PreparingRebalance:
                TryCompleteJoin(nowMs, effects);
                break;
            default:
                PrepareRebalance(nowMs, effects, newMemberJoined: false);
                TryCompleteJoin(nowMs, effects);
                break;
        }
        return effects;
    }

    // ---- SyncGroup -------------------------------------------------------------------------------

    public List<GroupEffect> Sync(SyncGroup sync, object replyTo, long nowMs)
    {
        var effects = new List<GroupEffect>();
        void Answer(ErrorCode code, string? message, byte[] assignment) =>
            effects.Add(new ReplyTo(replyTo, new SyncGroupResult(code, message, code == ErrorCode.None ? ProtocolName : null, assignment)));

        var member = Find(sync.MemberId);
        if (member is null)
        {
            Answer(ErrorCode.UnknownMemberId, $"Member {sync.MemberId} is not in group {GroupId}", []);
            return effects;
        }
        if (sync.GenerationId != GenerationId)
        {
            Answer(ErrorCode.IllegalGeneration, $"Generation {sync.GenerationId} is not the group's current generation {GenerationId}", []);
            return effects;
        }
        member.LastHeartbeatMs = nowMs;
        switch (State)
        {
            case GroupStateName.PreparingRebalance:
                Answer(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again", []);
                break;
            case GroupStateName.Stable:
                Answer(ErrorCode.None, null, member.Assignment);
                break;
            case GroupStateName.CompletingRebalance when member.MemberId == LeaderId:
                foreach (var m in _members) m.Assignment = sync.Assignments.FirstOrDefault(a => a.MemberId == m.MemberId)?.Assignment ?? [];
                State = GroupStateName.Stable;
                Answer(ErrorCode.None, null, member.Assignment);
                foreach (var m in _members.Where(m => m.PendingSync is not null))
                {
                    effects.Add(new ReplyTo(m.PendingSync!, new SyncGroupResult(ErrorCode.None, null, ProtocolName, m.Assignment)));
                    m.PendingSync = null;
                }
                break;
            case GroupStateName.CompletingRebalance:
                member.PendingSync = replyTo; // answered when the leader sends the assignment
                break;
            default:
                Answer(ErrorCode.UnknownMemberId, $"Group {GroupId} is {State}", []);
                break;
        }
        return effects;
    }

    // ---- Heartbeat and LeaveGroup ----------------------------------------------------------------

    public HeartbeatResult Heartbeat(Heartbeat heartbeat, long nowMs)
    {
        var member = Find(heartbeat.MemberId);
        if (member is null)
        {
            return heartbeat.GroupInstanceId is not null && _members.Any(m => m.GroupInstanceId == heartbeat.GroupInstanceId)
                ? new HeartbeatResult(ErrorCode.FencedInstanceId, $"Instance {heartbeat.GroupInstanceId} has rejoined under another member id")
                : new HeartbeatResult(ErrorCode.UnknownMemberId, $"Member {heartbeat.MemberId} is not in group {GroupId}");
        }
        if (heartbeat.GenerationId != GenerationId)
            return new HeartbeatResult(ErrorCode.IllegalGeneration, $"Generation {heartbeat.GenerationId} is not the current generation {GenerationId}");
        member.LastHeartbeatMs = nowMs;
        return State == GroupStateName.PreparingRebalance
            ? new HeartbeatResult(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again")
            : new HeartbeatResult(ErrorCode.None, null);
    }

    public List<GroupEffect> Leave(LeaveGroup leave, object replyTo, long nowMs)
    {
        var effects = new List<GroupEffect>();
        var member = Find(leave.MemberId) ?? (leave.GroupInstanceId is null ? null : _members.FirstOrDefault(m => m.GroupInstanceId == leave.GroupInstanceId));
        if (member is null)
        {
            effects.Add(new ReplyTo(replyTo, new LeaveGroupResult(ErrorCode.UnknownMemberId, $"Member {leave.MemberId} is not in group {GroupId}")));
            return effects;
        }
        effects.Add(new ReplyTo(replyTo, new LeaveGroupResult(ErrorCode.None, null)));
        Remove(member, nowMs, effects, "it left the group");
        return effects;
    }

    /// <summary>
    /// DeathWatch: the member's process is gone, so its partitions move now, not after the session timeout.
    /// Static members are the exception: they are expected back under the same instance id and keep their
    /// partitions until their session times out, as in Kafka.
    /// </summary>
    public List<GroupEffect> MemberTerminated(object memberRef, long nowMs)
    {
        var effects = new List<GroupEffect>();
        if (_members.FirstOrDefault(m => Equals(m.Ref, memberRef)) is { } member)
        {
            if (member.GroupInstanceId is null) Remove(member, nowMs, effects, "its process died");
            else member.Ref = null;
        }
        return effects;
    }

    // ---- Time and topics -------------------------------------------------------------------------

    /// <summary>Expires sessions and completes rebalances whose deadline passed.</summary>
    public List<GroupEffect> Tick(long nowMs)
    {
        var effects = new List<GroupEffect>();
        foreach (var member in _members.ToList())
        {
            // A member waiting in JoinGroup is covered by the rebalance deadline, not its session.
            if (member.PendingJoin is null && nowMs - member.LastHeartbeatMs > member.SessionTimeoutMs)
                Remove(member, nowMs, effects, "its session timed out");
        }
        if (State == GroupStateName.PreparingRebalance) TryCompleteJoin(nowMs, effects);
        return effects;
    }

    /// <summary>
    /// New topic metadata. A server-assigned group rebalances when a topic its members subscribe to gains
    /// partitions, appears or disappears; members learn of it from their next heartbeat.
    /// </summary>
    public List<GroupEffect> UpdateTopics(IReadOnlyDictionary<string, int> topics, long nowMs)
    {
        Topics = topics;
        var effects = new List<GroupEffect>();
        if (State != GroupStateName.Stable || !_members.All(m => m.ServerAssignment)) return effects;
        if (!SubscribedCounts().OrderBy(kv => kv.Key).SequenceEqual(_assignedTopicCounts.OrderBy(kv => kv.Key)))
            PrepareRebalance(nowMs, effects, newMemberJoined: false);
        return effects;
    }

    // ---- Offsets ---------------------------------------------------------------------------------

    /// <summary>Kafka's fencing of OffsetCommit by member id, generation and state.</summary>
    public (ErrorCode Error, string? Message) CheckCommit(string memberId, int generationId, string? groupInstanceId)
    {
        if (generationId < 0 && memberId == "")
        {
            return _members.Count == 0
                ? (ErrorCode.None, null)
                : (ErrorCode.UnknownMemberId, $"Group {GroupId} has active members; only they may commit");
        }
        var member = Find(memberId);
        if (member is null)
        {
            return groupInstanceId is not null && _members.Any(m => m.GroupInstanceId == groupInstanceId)
                ? (ErrorCode.FencedInstanceId, $"Instance {groupInstanceId} has rejoined under another member id")
                : (ErrorCode.UnknownMemberId, $"Member {memberId} is not in group {GroupId}");
        }
        if (generationId != GenerationId)
            return (ErrorCode.IllegalGeneration, $"Generation {generationId} is not the current generation {GenerationId}");
        if (State == GroupStateName.CompletingRebalance)
            return (ErrorCode.RebalanceInProgress, "The group is completing a rebalance; commit after SyncGroup");
        return (ErrorCode.None, null);
    }

    /// <summary>
    /// Whether one partition of an accepted commit may be stored: its topic and partition exist, and its
    /// metadata fits <c>offset-metadata-max-bytes</c> (Kafka's offset.metadata.max.bytes), so that a client
    /// cannot grow the journal and every OffsetFetch answer with megabytes of metadata per partition.
    /// </summary>
    public ErrorCode CheckEntry(OffsetCommitEntry entry)
    {
        if (!Topics.TryGetValue(entry.Topic, out var count) || entry.Partition < 0 || entry.Partition >= count) return ErrorCode.UnknownTopicOrPartition;
        return entry.Metadata is { } metadata && System.Text.Encoding.UTF8.GetByteCount(metadata) > settings.OffsetMetadataMaxBytes
            ? ErrorCode.OffsetMetadataTooLarge
            : ErrorCode.None;
    }

    /// <summary>
    /// Stores committed offsets. A commit to an empty group (standalone, or replayed in recovery) also moves its
    /// retention clock to the commit, as Kafka measures an empty group's expiry from its last commit: coordinators
    /// of empty groups stop when idle, and the clock must survive that without restarting at each start.
    /// </summary>
    public void ApplyCommitted(IEnumerable<CommittedOffset> offsets)
    {
        foreach (var o in offsets)
        {
            _offsets[new TopicPartition(o.Topic, o.Partition)] = o;
            if (_members.Count == 0) EmptySinceMs = Math.Max(EmptySinceMs, o.CommitTimestamp);
        }
    }

    public void ApplyRemoved(IEnumerable<TopicPartition> partitions)
    {
        foreach (var tp in partitions) _offsets.Remove(tp);
    }

    public void Restore(GroupSnapshot snapshot)
    {
        _offsets.Clear();
        ApplyCommitted(snapshot.Offsets);
        EmptySinceMs = snapshot.EmptySinceMs;
    }

    public GroupSnapshot ToSnapshot() => new(_offsets.Values.ToList(), EmptySinceMs);

    /// <summary>Offsets due for removal: the group has been empty longer than offsets retention.</summary>
    public IReadOnlyList<TopicPartition> ExpiredOffsets(long nowMs) =>
        OffsetsExpireAtMs is { } at && nowMs > at ? _offsets.Keys.ToList() : [];

    /// <summary>After recovery: an empty group's retention clock starts now if neither a snapshot nor a commit set it.</summary>
    public void MarkRecovered(long nowMs)
    {
        if (_members.Count == 0 && EmptySinceMs < 0) EmptySinceMs = nowMs;
    }

    /// <summary>When the offsets of this (empty) group are due to expire; null while it has members or no offsets.</summary>
    public long? OffsetsExpireAtMs =>
        _members.Count == 0 && EmptySinceMs >= 0 && _offsets.Count > 0 ? EmptySinceMs + (long)settings.OffsetsRetention.TotalMilliseconds : null;

    public GroupDescription Describe() => new(GroupId, ErrorCode.None, null, State.ToString(), ProtocolType, ProtocolName, GenerationId,
        _members.Select(m => new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
            SafeAssignment(m), m.Protocols.FirstOrDefault(p => p.Name == ProtocolName)?.Metadata ?? [], m.Assignment)).ToList());

    // ---- Rebalancing -----------------------------------------------------------------------------

    private void Remove(GroupMember member, long nowMs, List<GroupEffect> effects, string why)
    {
        _members.Remove(member);
        if (member.Ref is not null) effects.Add(new UnwatchMember(member.Ref));
        if (member.PendingJoin is not null)
            effects.Add(new ReplyTo(member.PendingJoin, new JoinGroupResult(ErrorCode.UnknownMemberId, $"Removed: {why}", -1, null, null, "", member.MemberId, [])));
        if (member.PendingSync is not null)
            effects.Add(new ReplyTo(member.PendingSync, new SyncGroupResult(ErrorCode.UnknownMemberId, $"Removed: {why}", null, [])));
        if (member.MemberId == LeaderId) LeaderId = "";
        if (State is GroupStateName.Stable or GroupStateName.CompletingRebalance or GroupStateName.Empty)
            PrepareRebalance(nowMs, effects, newMemberJoined: false);
        TryCompleteJoin(nowMs, effects);
    }

    private void PrepareRebalance(long nowMs, List<GroupEffect> effects, bool newMemberJoined)
    {
        if (State == GroupStateName.CompletingRebalance)
        {
            foreach (var m in _members.Where(m => m.PendingSync is not null))
            {
                effects.Add(new ReplyTo(m.PendingSync!, new SyncGroupResult(ErrorCode.RebalanceInProgress, "The group is rebalancing; join again", null, [])));
                m.PendingSync = null;
            }
        }
        var rebalanceTimeout = _members.Count == 0 ? 0 : _members.Max(m => m.RebalanceTimeoutMs);
        if (State == GroupStateName.Empty && newMemberJoined)
        {
            // Kafka's delayed initial rebalance, extended by each member joining meanwhile.
            _initialDelayDeadlineMs = nowMs + (long)settings.InitialRebalanceDelay.TotalMilliseconds;
            _rebalanceDeadlineMs = nowMs + Math.Max(rebalanceTimeout, (long)settings.InitialRebalanceDelay.TotalMilliseconds);
        }
        else if (State == GroupStateName.PreparingRebalance)
        {
            if (newMemberJoined && _initialDelayDeadlineMs > nowMs)
                _initialDelayDeadlineMs = Math.Min(nowMs + (long)settings.InitialRebalanceDelay.TotalMilliseconds, _rebalanceDeadlineMs);
            return;
        }
        else
        {
            _initialDelayDeadlineMs = 0;
            _rebalanceDeadlineMs = nowMs + rebalanceTimeout;
        }
        State = GroupStateName.PreparingRebalance;
        Rebalances++;
    }

    private void TryCompleteJoin(long nowMs, List<GroupEffect> effects)
    {
        if (State != GroupStateName.PreparingRebalance) return;
        var allJoined = _members.All(m => m.PendingJoin is not null);
        if (!(allJoined && nowMs >= _initialDelayDeadlineMs) && nowMs < _rebalanceDeadlineMs) return;

        // Members that did not rejoin within the rebalance timeout are out.
        foreach (var late in _members.Where(m => m.PendingJoin is null).ToList())
        {
            _members.Remove(late);
            if (late.Ref is not null) effects.Add(new UnwatchMember(late.Ref));
            if (late.MemberId == LeaderId) LeaderId = "";
        }

        GenerationId++;
        if (_members.Count == 0)
        {
            State = GroupStateName.Empty;
            ProtocolName = "";
            LeaderId = "";
            EmptySinceMs = nowMs;
            return;
        }

        ProtocolName = CommonProtocols(_members, null).First();
        var serverSide = _members.All(m => m.ServerAssignment);
        // In a group that mixes server-assigned members (the Akka.Remote client of earlier versions) with
        // client-assigned ones, a client-assigned member leads: the others would answer SyncGroup with nothing.
        if (LeaderId == "" || Find(LeaderId) is not { } leader || (!serverSide && leader.ServerAssignment))
            LeaderId = (serverSide ? _members[0] : _members.First(m => !m.ServerAssignment)).MemberId;
        if (serverSide)
        {
            AssignOnServer();
            State = GroupStateName.Stable;
        }
        else
        {
            foreach (var m in _members) m.Assignment = [];
            State = GroupStateName.CompletingRebalance;
        }
        foreach (var m in _members)
        {
            m.LastHeartbeatMs = nowMs;
            effects.Add(new ReplyTo(m.PendingJoin!, Result(m, includeMembers: !serverSide && m.MemberId == LeaderId)));
            m.PendingJoin = null;
        }
    }

    private JoinGroupResult Result(GroupMember member, bool includeMembers) => new(ErrorCode.None, null, GenerationId, ProtocolType, ProtocolName,
        LeaderId, member.MemberId,
        includeMembers ? _members.Select(m => new JoinGroupMember(m.MemberId, m.GroupInstanceId, m.MetadataFor(ProtocolName))).ToList() : []);

    /// <summary>
    /// Protocols every member (and the joining one, if given) supports, in the order of the first member's
    /// preference: Kafka picks by vote, which for members configured alike is the same choice.
    /// </summary>
    private static IEnumerable<string> CommonProtocols(IEnumerable<GroupMember?> members, IReadOnlyList<GroupProtocol>? joining)
    {
        var lists = members.Where(m => m is not null).Select(m => m!.Protocols.Select(p => p.Name).ToList()).ToList();
        if (joining is not null) lists.Add(joining.Select(p => p.Name).ToList());
        return lists.Count == 0 ? [] : lists[0].Where(name => lists.All(l => l.Contains(name)));
    }

    private void AssignOnServer()
    {
        var assignor = PartitionAssignors.Find(ProtocolName) ?? PartitionAssignors.Find("range")!;
        var members = _members.Select(m =>
        {
            var subscription = SafeSubscription(m);
            return new AssignorMember(m.MemberId, subscription.Topics, subscription.OwnedPartitions.Count > 0 ? subscription.OwnedPartitions : SafeAssignment(m), m.GroupInstanceId);
        }).ToList();
        _assignedTopicCounts = SubscribedCounts();
        var assignment = assignor.Assign(members, _assignedTopicCounts);
        foreach (var m in _members) m.Assignment = ConsumerProtocol.EncodeAssignment(assignment.GetValueOrDefault(m.MemberId) ?? []);
    }

    private Dictionary<string, int> SubscribedCounts()
    {
        var subscribed = _members.SelectMany(m => SafeSubscription(m).Topics).ToHashSet();
        return Topics.Where(t => subscribed.Contains(t.Key)).ToDictionary(t => t.Key, t => t.Value);
    }

    private ConsumerSubscription SafeSubscription(GroupMember m)
    {
        try
        {
            return ProtocolName == "" ? new ConsumerSubscription([], []) : ConsumerProtocol.DecodeSubscription(m.MetadataFor(ProtocolName));
        }
        catch (InvalidDataException)
        {
            return new ConsumerSubscription([], []);
        }
    }

    private static IReadOnlyList<TopicPartition> SafeAssignment(GroupMember m)
    {
        try
        {
            return ConsumerProtocol.DecodeAssignment(m.Assignment);
        }
        catch (InvalidDataException)
        {
            return [];
        }
    }
}
