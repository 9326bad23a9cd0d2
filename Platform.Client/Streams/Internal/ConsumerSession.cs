
namespace Platform.Client.Streams.Internal;

/// <summary>
/// The consumer behind one materialized source, kept apart from the stage so that commits still work after
/// the source completed (Stop, then the stream drains and commits, then Shutdown closes this). Tracks, per
/// partition, the next offset after the last emitted record and the highest committed offset: Shutdown and
/// revokes wait until the one reaches the other. Sends a source's commits one after another, merged, never
/// going back. Retriable errors re-read from the last position (the connection follows the cluster by
/// itself); others reach the stage and fail the stream.
/// </summary>
internal sealed class ConsumerSession : ICommitter
{
    private readonly ConsumerSettings _settings;
    private readonly ISubscription _subscription;
    private readonly bool _committable;
    private readonly StageConnection _stageConnection;
    private readonly object _lock = new();
    private readonly Dictionary<TopicPartition, long> _emitted = new();
    private readonly Dictionary<TopicPartition, long> _committed = new();
    private readonly Dictionary<TopicPartition, long> _pendingCommits = new();
    private readonly List<TaskCompletionSource> _commitWaiters = [];
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PlatformConnection? _connection;
    private PlatformConsumer? _consumer;
    private bool _committing;
    /// <summary>Set by a commit that failed for good: the stream fails with it, so no later commit will come to wait for.</summary>
    private bool _commitFailed;
    private int _failures;
    private Task? _closing;

    public ConsumerSession(ConsumerSettings settings, ISubscription subscription, bool committable, StageConnection stageConnection)
    {
        if (committable && settings.GroupId is null)
            throw new InvalidOperationException("A committable source needs a group id to commit to: ConsumerSettings.WithGroupId(...)");
        if (subscription is IAutoSubscription && settings.GroupId is null)
            throw new InvalidOperationException($"{subscription} needs a group id: ConsumerSettings.WithGroupId(...), or use Subscriptions.Assignment");
        _settings = settings;
        _subscription = subscription;
        _committable = committable;
        _stageConnection = stageConnection;
    }

    public string GroupId => _settings.GroupId ?? "";

    public ConsumerSettings Settings => _settings;

    /// <summary>Raised when the group assigns partitions (partitioned sources emit a source per partition).</summary>
    public Action<IReadOnlyList<TopicPartition>>? Assigned { get; set; }

    /// <summary>Awaited before the group takes partitions away (partitioned sources complete their sub-sources here).</summary>
    public Func<IReadOnlyList<TopicPartition>, Task>? Revoking { get; set; }

    /// <summary>When true the session's own consumer only holds the group membership and commits: a
    /// partitioned source reads each partition through a reader of its own.</summary>
    public bool MembershipOnly { get; init; }

    public Task Closed => _closed.Task;

    /// <summary>Auto-commit commits the positions of the consumer that reads: a plain single source's only
    /// (committable sources commit what the stream processed; a partitioned source's membership consumer reads nothing).</summary>
    private bool AutoCommits => _settings.AutoCommit && !_committable && !MembershipOnly;

    public PlatformConnection Connection => _connection ?? throw new InvalidOperationException("The session has not started");

    public async Task StartAsync()
    {
        _connection = await _stageConnection.ConnectionAsync();
        _consumer = await CreateConsumerAsync(_connection);
    }

    private async Task<PlatformConsumer> CreateConsumerAsync(PlatformConnection connection)
    {
        var client = _settings.ToClientSettings();
        // A membership-only consumer's fetch loops are never read: one record of buffer and one batch per fetch keep them idle.
        if (MembershipOnly) client = client with { BufferedRecords = 1, MaxPartitionFetchBytes = 1 };
        var consumer = _settings.GroupId is null
            ? new PlatformConsumer(connection, _settings.AutoOffsetReset, client)
            : new PlatformConsumer(connection, _settings.ToGroupSettings(autoCommit: AutoCommits), _settings.AutoOffsetReset, client);
        switch (_subscription)
        {
            case TopicSubscription topics:
                Subscribe(consumer, c => c.Subscribe(topics.Topics));
                break;
            case TopicPatternSubscription pattern:
                Subscribe(consumer, c => c.Subscribe(pattern.Pattern));
                break;
            case AssignmentSubscription assignment when !MembershipOnly:
                consumer.Assign(await StartPositionsAsync(consumer, assignment.Partitions));
                break;
        }
        return consumer;
    }

    private void Subscribe(PlatformConsumer consumer, Action<PlatformConsumer> subscribe)
    {
        consumer.PartitionsAssigned += partitions => Assigned?.Invoke(partitions);
        consumer.RevokingAsync = RevokingAsync;
        subscribe(consumer);
    }

    /// <summary>Where manually assigned partitions start: after the last emitted record (after a retry),
    /// at the given offset, at the group's committed offset, or at auto-offset-reset.</summary>
    public async Task<IReadOnlyList<TopicPartitionOffset>> StartPositionsAsync(PlatformConsumer committer,
        IReadOnlyList<(TopicPartition Partition, long? Offset)> partitions)
    {
        var committed = _settings.GroupId is not null && partitions.Any(p => p.Offset is null && EmittedPosition(p.Partition) is null)
            ? await committer.CommittedAsync(partitions.Select(p => p.Partition))
            : new Dictionary<TopicPartition, long?>();
        var reset = ResetPosition;
        return partitions.Select(p =>
        {
            var offset = EmittedPosition(p.Partition) ?? p.Offset ?? committed.GetValueOrDefault(p.Partition);
            if (offset is null && _settings.AutoOffsetReset == AutoOffsetReset.None)
                throw new PlatformException(ErrorCode.OffsetOutOfRange, $"No committed offset for {p.Partition} in group {GroupId} and auto-offset-reset is none");
            return new TopicPartitionOffset(p.Partition.Topic, p.Partition.Partition, offset ?? reset);
        }).ToList();
    }

    /// <summary>Where a partition without a position starts (auto-offset-reset).</summary>
    public long ResetPosition => _settings.AutoOffsetReset == AutoOffsetReset.Earliest ? TopicPartitionOffset.Beginning : TopicPartitionOffset.End;

    /// <summary>The session's own consumer (the committer, and the reader unless membership-only).</summary>
    public PlatformConsumer Consumer => _consumer ?? throw new InvalidOperationException("The session has not started");

    /// <summary>The next record. Completes synchronously when one is buffered (the hot path of a source).</summary>
    public Task<ConsumeResult> ConsumeAsync(CancellationToken token)
    {
        var read = Consumer.ConsumeAsync(token);
        if (read.IsCompletedSuccessfully)
        {
            _failures = 0;
            return read;
        }
        return ConsumeSlowAsync(read, token);
    }

    private async Task<ConsumeResult> ConsumeSlowAsync(Task<ConsumeResult> read, CancellationToken token)
    {
        while (true)
        {
            var consumer = Consumer;
            try
            {
                var record = await read;
                _failures = 0;
                return record;
            }
            catch (PlatformException e) when (_settings.Retry.ShouldRetry(e.Code, _failures + 1))
            {
                _failures++;
                await Task.Delay(_settings.Retry.Backoff(_failures), token);
                Recover(consumer);
            }
            read = Consumer.ConsumeAsync(token);
        }
    }

    /// <summary>
    /// A retriable error the consumer passed on: every partition re-read from its position. A node that went
    /// away needs nothing here: the connection moves to the next bootstrap server by itself.
    /// </summary>
    private void Recover(PlatformConsumer failed)
    {
        foreach (var partition in failed.Assignment)
            failed.Seek(new TopicPartitionOffset(partition.Topic, partition.Partition,
                failed.Position(partition) ?? EmittedPosition(partition) ?? ResetPosition));
    }

    /// <summary>Called by the stage for every record it pushes; only committable sources keep track (what Shutdown and revokes wait for).</summary>
    public void Emitted(ConsumeResult record)
    {
        if (!_committable) return;
        lock (_lock) _emitted[record.TopicPartition] = record.Offset + 1;
    }

    /// <summary>Where a partition goes on after a retry: after the last record handed to the stream.</summary>
    public long? EmittedPosition(TopicPartition partition)
    {
        lock (_lock)
            return _emitted.TryGetValue(partition, out var offset) ? offset : null;
    }

    public ICommittableOffset Offset(ConsumeResult record) =>
        new CommittableOffset(this, new GroupTopicPartitionOffset(GroupId, record.Topic, record.Partition, record.Offset));

    /// <summary>Merges the offsets into the next commit; completes when a commit holding them is stored.</summary>
    public Task CommitAsync(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_lock)
        {
            foreach (var offset in offsets)
                if (!_pendingCommits.TryGetValue(offset.TopicPartition, out var pending) || pending < offset.Offset)
                    _pendingCommits[offset.TopicPartition] = offset.Offset;
            _commitWaiters.Add(waiter);
            start = !_committing;
            _committing = true;
        }
        if (start) _ = CommitLoopAsync();
        return waiter.Task;
    }

    private async Task CommitLoopAsync()
    {
        while (true)
        {
            List<TopicPartitionOffset> offsets;
            List<TaskCompletionSource> waiters;
            lock (_lock)
            {
                if (_commitWaiters.Count == 0)
                {
                    _committing = false;
                    return;
                }
                offsets = _pendingCommits.Where(p => !_committed.TryGetValue(p.Key, out var done) || done < p.Value)
                    .Select(p => new TopicPartitionOffset(p.Key.Topic, p.Key.Partition, p.Value)).ToList();
                waiters = [.. _commitWaiters];
                _pendingCommits.Clear();
                _commitWaiters.Clear();
            }
            try
            {
                if (offsets.Count > 0)
                    await Consumer.CommitAsync(offsets).WaitAsync(_settings.CommitTimeout);
                TaskCompletionSource progress;
                lock (_lock)
                {
                    foreach (var offset in offsets)
                        if (!_committed.TryGetValue(offset.TopicPartition, out var done) || done < offset.Offset)
                            _committed[offset.TopicPartition] = offset.Offset;
                    progress = _progress;
                    _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                progress.TrySetResult();
                foreach (var waiter in waiters) waiter.TrySetResult();
            }
            catch (PlatformException e) when (GroupMembership.IsGenerationOver(e.Code) && _subscription is IAutoSubscription)
            {
                // The member's generation is over (Kafka's onPartitionsLost): these offsets cannot be committed
                // any more. The group hands the partitions out again from their last committed offset, so their
                // records come again and are committed then; nothing is waited for on their behalf meanwhile.
                TaskCompletionSource progress;
                lock (_lock)
                {
                    foreach (var offset in offsets) _emitted.Remove(offset.TopicPartition);
                    progress = _progress;
                    _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                progress.TrySetResult();
                foreach (var waiter in waiters) waiter.TrySetResult();
            }
            catch (Exception e)
            {
                var error = e is TimeoutException
                    ? new PlatformException(ErrorCode.RequestTimedOut, $"A commit took longer than {_settings.CommitTimeout.TotalSeconds:0.#} s")
                    : e;
                TaskCompletionSource progress;
                lock (_lock)
                {
                    _commitFailed = true;
                    progress = _progress;
                    _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                progress.TrySetResult(); // Shutdown and revokes stop waiting for commits that will not come
                foreach (var waiter in waiters) waiter.TrySetException(error);
            }
        }
    }

    /// <summary>
    /// Waits until the records of the partitions (all when null) emitted so far are committed, at most
    /// <paramref name="timeout"/>; records emitted after the call are not waited for. Returns early when a
    /// commit has failed: the stream fails with it, and the records it did not commit are read again.
    /// </summary>
    public async Task WaitForCommitsAsync(IReadOnlyCollection<TopicPartition>? partitions, TimeSpan timeout)
    {
        if (!_committable) return;
        Dictionary<TopicPartition, long> targets;
        lock (_lock) targets = _emitted.Where(e => partitions is null || partitions.Contains(e.Key)).ToDictionary();
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                // A partition whose emitted entry is gone lost its generation: nothing of it can be committed.
                var behind = targets.Any(t => _emitted.ContainsKey(t.Key) && (!_committed.TryGetValue(t.Key, out var done) || done < t.Value));
                if (!behind || _commitFailed) return;
                progress = _progress.Task;
            }
            try
            {
                await progress.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return; // stop-timeout: what is not committed by now is read again by the next owner
            }
        }
    }

    /// <summary>
    /// The group is taking partitions away: a committable source stops emitting their records at once, and
    /// the stream commits what it emitted of them before; records the source still held are read again by
    /// the next owner. The membership keeps heartbeating meanwhile.
    /// </summary>
    private async Task RevokingAsync(IReadOnlyList<TopicPartition> partitions)
    {
        if (Revoking is { } revoking) await revoking(partitions);
        if (_committable) Consumer.StopEmitting(partitions);
        var bound = _settings.StopTimeout < _settings.RebalanceTimeout / 2 ? _settings.StopTimeout : _settings.RebalanceTimeout / 2;
        await WaitForCommitsAsync(partitions, bound);
        lock (_lock)
            foreach (var partition in partitions)
                _emitted.Remove(partition);
    }

    /// <summary>Closes once: waits for the commits of emitted records (when asked), leaves the group, closes an owned connection.</summary>
    public Task CloseAsync(bool waitForCommits)
    {
        lock (_lock) return _closing ??= CloseOnceAsync(waitForCommits);
    }

    private async Task CloseOnceAsync(bool waitForCommits)
    {
        try
        {
            if (waitForCommits && _consumer is not null) await WaitForCommitsAsync(null, _settings.StopTimeout);
            if (_consumer is not null) await _consumer.DisposeAsync().AsTask().WaitAsync(_settings.RequestTimeout * 2);
        }
        catch (Exception e) when (e is PlatformException or TimeoutException or ObjectDisposedException)
        {
            // the node is gone: nothing left to leave
        }
        finally
        {
            await _stageConnection.CloseAsync();
            _closed.TrySetResult();
        }
    }
}
