using System.Text.RegularExpressions;
using Platform.Client.Kafka;
using Platform.Protocol.Groups;
using Platform.Protocol.Messages;

namespace Platform.Client;

/// <summary>
/// A consumer's membership in a group over Kafka's classic protocol: JoinGroup → SyncGroup → Heartbeat,
/// with client-side assignment (the member the coordinator names leader runs the assignor over every
/// member's subscription and hands the result in with its SyncGroup) and eager rebalancing (everything is
/// revoked, and committed, before rejoining, so a clean hand-over never delivers a committed record twice).
/// Heartbeats run on a loop of their own from SyncGroup until the next JoinGroup, revocation included, so
/// a slow revocation never lets the session expire. Every group request goes over a connection lane of this
/// member's own: the coordinator ties the member to that connection, so when the process dies the node
/// sees the TCP connection close and removes the member at once.
/// </summary>
internal sealed class GroupMembership : IAsyncDisposable
{
    private readonly PlatformConnection _connection;
    private readonly PlatformConsumer _consumer;
    private readonly ConsumerGroupSettings _settings;
    private readonly IReadOnlyList<string>? _topics;
    private readonly Regex? _pattern;
    private readonly IPartitionAssignor _assignor;
    private readonly string _lane;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TaskCompletionSource _rejoin = NewSignal();
    private IReadOnlyList<TopicPartition> _owned = [];
    /// <summary>
    /// As the leader, the partition counts the assignment was made over (null when not the leader): like
    /// Kafka's leader, it rejoins when a refresh shows a topic of the group grew, so the new partitions get an owner.
    /// </summary>
    private Dictionary<string, int>? _assignedCounts;

    public GroupMembership(PlatformConnection connection, PlatformConsumer consumer, ConsumerGroupSettings settings,
        IReadOnlyList<string>? topics, Regex? pattern)
    {
        _connection = connection;
        _consumer = consumer;
        _settings = settings;
        _topics = topics;
        _pattern = pattern;
        _assignor = PartitionAssignors.Find(settings.Assignor)
                    ?? throw new ArgumentException($"Unknown assignor '{settings.Assignor}' (expected one of {string.Join(", ", PartitionAssignors.Names)})");
        _lane = connection.NewLane("group");
        connection.Cluster.SetLaneClientId(_lane, settings.ClientId);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public string MemberId { get; private set; } = "";

    public int GenerationId { get; private set; } = -1;

    private string Group => _settings.GroupId;

    private TimeSpan JoinTimeout => _settings.RebalanceTimeout + _connection.Settings.RequestTimeout;

    private async Task RunAsync(CancellationToken token)
    {
        var retry = _connection.Settings.Retry;
        var failures = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await OneGenerationAsync(token);
                failures = 0;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (PlatformException e) when (e.Code is ErrorCode.InvalidSessionTimeout or ErrorCode.InconsistentGroupProtocol
                                                   or ErrorCode.GroupMaxSizeReached or ErrorCode.InvalidGroupId)
            {
                _consumer.FailGroup(e); // configuration errors: retrying cannot help
                return;
            }
            catch (Exception e) when (e is not PlatformException)
            {
                Unexpected("membership", e); // a bug, not the coordinator: retrying would hide it
                return;
            }
            catch (PlatformException)
            {
                try
                {
                    await Task.Delay(retry.Backoff(++failures), token); // coordinator unavailable or timed out: try again
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task OneGenerationAsync(CancellationToken token)
    {
        var topics = await SubscribedTopicsAsync();
        await RevokeAllAsync();
        // Linked to the stop token and cancelled in finally, when this generation is over. (A linked source
        // disposed at the end of the try block would stop listening to its parents before the finally ran, and
        // the old generation's heartbeats, going on, would answer IllegalGeneration and rebalance the next.)
        using var heartbeats = CancellationTokenSource.CreateLinkedTokenSource(token);
        try
        {
            if (!await JoinAndSyncAsync(topics, token)) return;
            _rejoin = NewSignal();
            HeartbeatLoopAsync(GenerationId, _rejoin, heartbeats.Token).Observe(e => Unexpected("heartbeats", e));
            var nextCommit = DateTime.UtcNow + _settings.AutoCommitInterval;
            var nextRefresh = DateTime.UtcNow + _settings.MetadataRefresh;
            var tick = _settings.AutoCommit && _settings.AutoCommitInterval < _settings.MetadataRefresh ? _settings.AutoCommitInterval : _settings.MetadataRefresh;
            while (!token.IsCancellationRequested)
            {
                var rejoin = _rejoin.Task;
                await Task.WhenAny(rejoin, Task.Delay(tick, token));
                token.ThrowIfCancellationRequested();
                if (rejoin.IsCompleted)
                {
                    // Revoke (committing what was consumed) while the heartbeats keep the session alive; then rejoin.
                    await RevokeAllAsync();
                    return;
                }
                if (_settings.AutoCommit && DateTime.UtcNow >= nextCommit)
                {
                    await CommitPositionsAsync(token);
                    nextCommit = DateTime.UtcNow + _settings.AutoCommitInterval;
                }
                if ((_pattern is not null || _assignedCounts is not null) && DateTime.UtcNow >= nextRefresh)
                {
                    nextRefresh = DateTime.UtcNow + _settings.MetadataRefresh;
                    if (_pattern is not null && !(await SubscribedTopicsAsync()).SequenceEqual(topics)) return; // topics created or deleted: rejoin
                    if (await PartitionsGrewAsync()) return; // the leader saw new partitions: rejoin, so they are assigned
                }
            }
        }
        finally
        {
            await heartbeats.CancelAsync(); // the next JoinGroup keeps the member alive from here
        }
    }

    /// <summary>JoinGroup, the assignment when leader, SyncGroup, and taking the assignment; false to join again.</summary>
    private async Task<bool> JoinAndSyncAsync(IReadOnlyList<string> topics, CancellationToken token)
    {
        var metadata = ConsumerProtocol.EncodeSubscription(new ConsumerSubscription(topics, _owned));
        var join = await _connection.CoordinatorRequestAsync<JoinGroupResponse>(Group, ApiKey.JoinGroup, 7,
            (_, _) => new JoinGroupRequest
            {
                GroupId = Group,
                SessionTimeoutMs = (int)_settings.SessionTimeout.TotalMilliseconds,
                RebalanceTimeoutMs = (int)_settings.RebalanceTimeout.TotalMilliseconds,
                MemberId = MemberId,
                GroupInstanceId = _settings.GroupInstanceId,
                ProtocolType = ConsumerProtocol.ProtocolType,
                Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = _assignor.Name, Metadata = metadata }],
            },
            r => r.ErrorCode, _lane, JoinTimeout, token);
        if ((ErrorCode)join.ErrorCode == ErrorCode.MemberIdRequired)
        {
            MemberId = join.MemberId; // KIP-394: join again with the id the coordinator gave
            return false;
        }
        if (!GoesOn(join.ErrorCode, "JoinGroup")) return false;
        MemberId = join.MemberId;
        GenerationId = join.GenerationId;
        var protocol = join.ProtocolName ?? _assignor.Name;

        _assignedCounts = null;
        var assignments = join.Leader == join.MemberId ? await AssignAsync(join.Members) : [];
        var sync = await _connection.CoordinatorRequestAsync<SyncGroupResponse>(Group, ApiKey.SyncGroup, 5,
            (_, _) => new SyncGroupRequest
            {
                GroupId = Group,
                GenerationId = GenerationId,
                MemberId = MemberId,
                GroupInstanceId = _settings.GroupInstanceId,
                ProtocolType = ConsumerProtocol.ProtocolType,
                ProtocolName = protocol,
                Assignments = assignments,
            },
            r => r.ErrorCode, _lane, JoinTimeout, token);
        if (!GoesOn(sync.ErrorCode, "SyncGroup")) return false;
        var assigned = ConsumerProtocol.DecodeAssignment(sync.Assignment);
        _owned = assigned;
        await _consumer.TakeAssignmentAsync(assigned.Select(tp => new TopicPartition(tp.Topic, tp.Partition)).ToList(), token);
        return true;
    }

    /// <summary>
    /// What a JoinGroup or SyncGroup error means, the same for both: true to go on; false to join again (forgetting a
    /// member id the coordinator no longer knows); anything else fails the membership.
    /// </summary>
    private bool GoesOn(short code, string request)
    {
        switch ((ErrorCode)code)
        {
            case ErrorCode.None:
                return true;
            case ErrorCode.UnknownMemberId or ErrorCode.FencedInstanceId:
                MemberId = "";
                return false;
            case ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration:
                return false;
            default:
                throw KafkaRequests.Error(code, null, $"{request} of group '{Group}' failed");
        }
    }

    /// <summary>Whether a topic the leader assigned now has more partitions than it assigned.</summary>
    private async Task<bool> PartitionsGrewAsync()
    {
        if (_assignedCounts is not { Count: > 0 } counts) return false;
        MetadataResponse metadata;
        try
        {
            metadata = await _connection.WithRetriesAsync(() => _connection.Cluster.RefreshAsync(counts.Keys.ToList()));
        }
        catch (PlatformException)
        {
            return false; // asked again at the next refresh
        }
        return metadata.Topics.Any(t => t.ErrorCode == 0 && t.Name is { } name && counts.TryGetValue(name, out var assigned) && t.Partitions.Count > assigned);
    }

    /// <summary>The leader's part: every member's subscription through the assignor, over the topics' partition counts from Metadata.</summary>
    private async Task<List<SyncGroupRequest.SyncGroupRequestAssignment>> AssignAsync(IReadOnlyList<JoinGroupResponse.JoinGroupResponseMember> members)
    {
        var subscriptions = members.Select(m =>
        {
            var subscription = ConsumerProtocol.DecodeSubscription(m.Metadata);
            return new AssignorMember(m.MemberId, subscription.Topics, subscription.OwnedPartitions, m.GroupInstanceId);
        }).ToList();
        var topics = subscriptions.SelectMany(s => s.Topics).Distinct().Order(StringComparer.Ordinal).ToList();
        var metadata = await _connection.WithRetriesAsync(() => _connection.Cluster.RefreshAsync(topics));
        var partitionsPerTopic = metadata.Topics.Where(t => t.ErrorCode == 0 && t.Name is not null)
            .ToDictionary(t => t.Name!, t => t.Partitions.Count);
        var assignment = _assignor.Assign(subscriptions, partitionsPerTopic);
        _assignedCounts = partitionsPerTopic;
        return subscriptions.Select(s => new SyncGroupRequest.SyncGroupRequestAssignment
        {
            MemberId = s.MemberId,
            Assignment = ConsumerProtocol.EncodeAssignment(assignment.TryGetValue(s.MemberId, out var partitions) ? partitions : []),
        }).ToList();
    }

    /// <summary>
    /// Heartbeats every heartbeat interval until cancelled (the next JoinGroup) or the member is out of the
    /// generation. A rebalance keeps them going: they hold the session while the member revokes.
    /// </summary>
    private async Task HeartbeatLoopAsync(int generation, TaskCompletionSource rejoin, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(_settings.HeartbeatInterval, token);
                HeartbeatResponse heartbeat;
                try
                {
                    heartbeat = await _connection.CoordinatorRequestAsync<HeartbeatResponse>(Group, ApiKey.Heartbeat, 4,
                        (_, _) => new HeartbeatRequest { GroupId = Group, GenerationId = generation, MemberId = MemberId, GroupInstanceId = _settings.GroupInstanceId },
                        r => r.ErrorCode, _lane, cancellationToken: token);
                }
                catch (PlatformException)
                {
                    continue; // the coordinator is moving: keep trying within the session timeout
                }
                if (token.IsCancellationRequested) return; // answered after this generation ended: it speaks of the old one
                switch ((ErrorCode)heartbeat.ErrorCode)
                {
                    case ErrorCode.None:
                        break;
                    case ErrorCode.RebalanceInProgress:
                        rejoin.TrySetResult();
                        break;
                    case ErrorCode.UnknownMemberId or ErrorCode.FencedInstanceId:
                        MemberId = "";
                        rejoin.TrySetResult();
                        return;
                    default: // IllegalGeneration: this generation is over
                        rejoin.TrySetResult();
                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>An exception no path expects ends the membership; the consumer's next ConsumeAsync says what it was.</summary>
    private void Unexpected(string what, Exception e) =>
        _consumer.FailGroup(new PlatformException(ErrorCode.UnknownServerError, $"The group's {what} of {Group} failed: {e.GetType().Name}: {e.Message}"));

    private async Task<IReadOnlyList<string>> SubscribedTopicsAsync()
    {
        if (_pattern is null) return _topics!.Order(StringComparer.Ordinal).ToList();
        var all = await new PlatformAdmin(_connection).ListTopicsAsync();
        return all.Select(t => t.Name).Where(n => _pattern.IsMatch(n)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Eager protocol: commit what was consumed, tell the application, stop fetching.</summary>
    private async Task RevokeAllAsync()
    {
        var owned = _consumer.Assignment.ToList();
        if (owned.Count == 0) return;
        if (_consumer.RevokingAsync is { } revoking)
        {
            try
            {
                await revoking(owned);
            }
            catch (Exception e) when (e is PlatformException or IOException or TimeoutException)
            {
                // The application's hook failed; the partitions go anyway.
            }
        }
        if (_settings.AutoCommit && MemberId != "")
        {
            try
            {
                await CommitPositionsAsync(CancellationToken.None);
            }
            catch (PlatformException)
            {
                // The generation is gone (e.g. we were removed); the next owner starts from the last commit.
            }
        }
        _consumer.ReleaseAssignment(owned);
    }

    /// <summary>Commits the consumer's positions for its assigned partitions with this member's generation.</summary>
    public Task CommitPositionsAsync(CancellationToken token) => CommitAsync(_consumer.Positions(), token);

    /// <summary>
    /// Commits with this member's id and generation. When the coordinator says the generation is over (the
    /// member was removed, e.g. after its connection broke, or the group is rebalancing) the member rejoins at
    /// once and the error is thrown (Kafka's CommitFailedException): the partitions are lost to this
    /// generation, and their next owner, maybe this member again, reads them from the last committed offset.
    /// </summary>
    public async Task CommitAsync(IReadOnlyList<TopicPartitionOffset> offsets, CancellationToken token)
    {
        try
        {
            await GroupCommit.CommitAsync(_connection, Group, MemberId, GenerationId, _settings.GroupInstanceId, offsets, _lane, token);
        }
        catch (PlatformException e) when (IsGenerationOver(e.Code))
        {
            _rejoin.TrySetResult();
            throw;
        }
    }

    /// <summary>Stops the loop, commits (with auto-commit), leaves the group so the others rebalance at once, and closes the member's connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            if (_settings.AutoCommit && MemberId != "") await CommitPositionsAsync(CancellationToken.None);
        }
        catch (PlatformException)
        {
        }
        try
        {
            // A static member does not leave: coming back under the same instance id it gets its partitions
            // back without a rebalance (the session timeout removes it if it never returns).
            if (MemberId != "" && _settings.GroupInstanceId is null)
            {
                await _connection.CoordinatorRequestAsync<LeaveGroupResponse>(Group, ApiKey.LeaveGroup, 4,
                    (_, version) => version >= 3
                        ? new LeaveGroupRequest { GroupId = Group, Members = [new LeaveGroupRequest.MemberIdentity { MemberId = MemberId }] }
                        : new LeaveGroupRequest { GroupId = Group, MemberId = MemberId },
                    r => r.ErrorCode, _lane);
            }
        }
        catch (PlatformException)
        {
        }
        await _connection.Cluster.CloseLaneAsync(_lane);
    }

    /// <summary>The errors that say a commit came from a generation the coordinator has left behind.</summary>
    public static bool IsGenerationOver(ErrorCode code) =>
        code is ErrorCode.UnknownMemberId or ErrorCode.IllegalGeneration or ErrorCode.FencedInstanceId or ErrorCode.RebalanceInProgress;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
