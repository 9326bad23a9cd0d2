using System.Text.RegularExpressions;
using Akka.Actor;
using Platform.Actors;
using Platform.Actors.Groups;
using Platform.Protocol.Groups;

namespace Platform.Client;

/// <summary>
/// A consumer's membership in a group: the JoinGroup → SyncGroup → Heartbeat loop of Kafka's classic
/// protocol, with eager rebalancing (everything is revoked, and committed, before rejoining, so a clean
/// hand-over never delivers a committed record twice). A small actor receives the coordinator's
/// <see cref="RebalanceStarted"/> push and is what the coordinator watches, so a dead process's
/// partitions move at once.
/// </summary>
internal sealed class GroupMembership : IAsyncDisposable
{
    private sealed class MemberActor : ReceiveActor
    {
        public MemberActor(Action wake) => Receive<RebalanceStarted>(_ => wake());
    }

    private readonly PlatformConnection _connection;
    private readonly PlatformConsumer _consumer;
    private readonly ConsumerGroupSettings _settings;
    private readonly IReadOnlyList<string>? _topics;
    private readonly Regex? _pattern;
    private readonly IActorRef _member;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public GroupMembership(PlatformConnection connection, PlatformConsumer consumer, ConsumerGroupSettings settings,
        IReadOnlyList<string>? topics, Regex? pattern)
    {
        _connection = connection;
        _consumer = consumer;
        _settings = settings;
        _topics = topics;
        _pattern = pattern;
        _member = connection.System.ActorOf(Props.Create(() => new MemberActor(() => _wake.TrySetResult())));
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public string MemberId { get; private set; } = "";

    public int GenerationId { get; private set; } = -1;

    private string Group => _settings.GroupId;

    private async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await OneGenerationAsync(token);
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
            catch (PlatformException)
            {
                await Task.Delay(200, token); // coordinator unavailable or timed out: try again
            }
        }
    }

    private async Task OneGenerationAsync(CancellationToken token)
    {
        var topics = await SubscribedTopicsAsync();
        await RevokeAllAsync();
        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var metadata = ConsumerProtocol.EncodeSubscription(new ConsumerSubscription(topics, []));
        var join = await _connection.RequestAsync<JoinGroupResult>(new JoinGroup(Group, MemberId, _settings.GroupInstanceId,
            ConsumerProtocol.ProtocolType, [new GroupProtocol(_settings.Assignor, metadata)],
            (int)_settings.SessionTimeout.TotalMilliseconds, (int)_settings.RebalanceTimeout.TotalMilliseconds,
            _settings.ClientId, _connection.LocalHost, _member, ServerAssignment: true),
            _settings.RebalanceTimeout + _connection.Settings.RequestTimeout, token);
        if (join.Error == ErrorCode.UnknownMemberId)
        {
            MemberId = "";
            return;
        }
        if (join.Error == ErrorCode.RebalanceInProgress) return;
        Check(join.Error, join.ErrorMessage);
        MemberId = join.MemberId;
        GenerationId = join.GenerationId;

        var sync = await _connection.RequestAsync<SyncGroupResult>(new SyncGroup(Group, MemberId, GenerationId, _settings.GroupInstanceId, []),
            cancellationToken: token);
        if (sync.Error is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration) return;
        if (sync.Error == ErrorCode.UnknownMemberId)
        {
            MemberId = "";
            return;
        }
        Check(sync.Error, sync.ErrorMessage);
        var assigned = ConsumerProtocol.DecodeAssignment(sync.Assignment).Select(tp => new TopicPartition(tp.Topic, tp.Partition)).ToList();
        await _consumer.TakeAssignmentAsync(assigned, token);

        var nextCommit = DateTime.UtcNow + _settings.AutoCommitInterval;
        var nextRefresh = DateTime.UtcNow + _settings.MetadataRefresh;
        while (!token.IsCancellationRequested)
        {
            await Task.WhenAny(_wake.Task, Task.Delay(_settings.HeartbeatInterval, token));
            token.ThrowIfCancellationRequested();
            var heartbeat = await _connection.RequestAsync<HeartbeatResult>(new Heartbeat(Group, MemberId, GenerationId, _settings.GroupInstanceId),
                cancellationToken: token);
            switch (heartbeat.Error)
            {
                case ErrorCode.None:
                    break;
                case ErrorCode.UnknownMemberId or ErrorCode.FencedInstanceId:
                    MemberId = "";
                    return;
                default: // RebalanceInProgress, IllegalGeneration: rejoin
                    return;
            }
            if (_settings.AutoCommit && DateTime.UtcNow >= nextCommit)
            {
                await CommitPositionsAsync(token);
                nextCommit = DateTime.UtcNow + _settings.AutoCommitInterval;
            }
            if (_pattern is not null && DateTime.UtcNow >= nextRefresh)
            {
                nextRefresh = DateTime.UtcNow + _settings.MetadataRefresh;
                if (!(await SubscribedTopicsAsync()).SequenceEqual(topics)) return; // topics created or deleted: rejoin
            }
        }
    }

    private static void Check(ErrorCode error, string? message)
    {
        if (error != ErrorCode.None) throw new PlatformException(error, message ?? error.ToString());
    }

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
            catch (Exception e) when (e is PlatformException or IOException)
            {
                // The application's hook failed; the partitions go anyway.
            }
        }
        if (_settings.AutoCommit)
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

    public async Task CommitAsync(IReadOnlyList<TopicPartitionOffset> offsets, CancellationToken token)
    {
        if (offsets.Count == 0) return;
        var result = await _connection.RequestAsync<OffsetCommitResult>(new OffsetCommit(Group, MemberId, GenerationId, _settings.GroupInstanceId,
            offsets.Select(o => new OffsetCommitEntry(o.Topic, o.Partition, o.Offset, null)).ToList()), cancellationToken: token);
        Check(result.Error, result.ErrorMessage);
        if (result.Partitions.FirstOrDefault(p => p.Error != ErrorCode.None) is { } failed)
            throw new PlatformException(failed.Error, $"Commit for {failed.Topic}-{failed.Partition} failed");
    }

    /// <summary>Stops the loop, commits (with auto-commit) and leaves the group so the others rebalance at once.</summary>
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
                await _connection.RequestAsync<LeaveGroupResult>(new LeaveGroup(Group, MemberId, null));
        }
        catch (PlatformException)
        {
        }
        _connection.System.Stop(_member);
    }
}
