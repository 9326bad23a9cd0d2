using System.Text.RegularExpressions;
using System.Threading.Channels;
using Platform.Client.Kafka;
using Platform.Protocol.Messages;
using Platform.Protocol.Records;

namespace Platform.Client;

/// <summary>
/// Reads assigned partitions from any position over Kafka's protocol. A fetcher sends one Fetch per
/// leader for all the partitions it leads (long polls, on connections of this consumer's own, so they never
/// hold back a producer's acknowledgements), and hands each partition's records to a buffer that the
/// application drains; it stops fetching while <see cref="ClientSettings.BufferedRecords"/> records wait,
/// so a slow application bounds memory instead of filling it. Positions advance only as the application
/// consumes records. Missing positions are resolved with ListOffsets (auto.offset.reset); committed
/// offsets live in the group's coordinator (OffsetCommit / OffsetFetch). <c>Subscribe</c> joins a group.
/// </summary>
public sealed partial class PlatformConsumer : IAsyncDisposable
{
    /// <summary>An assigned partition: one instance per assignment or seek (its epoch), replaced, never reused.</summary>
    private sealed class PartitionState(TopicPartition partition, long epoch, long fetchOffset, bool failOutOfRange)
    {
        public TopicPartition Partition { get; } = partition;
        public long Epoch { get; } = epoch;
        /// <summary>The next offset to fetch; negative while it is a ListOffsets spec still to resolve.</summary>
        public long FetchOffset { get; set; } = fetchOffset;
        public bool FailOutOfRange { get; } = failOutOfRange;
        /// <summary>The next offset the application gets; -1 until known.</summary>
        public long Position { get; set; } = -1;
        /// <summary>Set when the partition was unassigned or sought: what was fetched for it is dropped.</summary>
        public volatile bool Removed;
        /// <summary>Set after an error that stops this partition's fetching until it is sought or reassigned.</summary>
        public bool Stopped { get; set; }
        /// <summary>
        /// Set when a fetched batch failed to decode on the application's side: the chunks fetched after it (the
        /// fetcher ran ahead) are dropped, so no record beyond the corrupt one is handed out.
        /// </summary>
        public volatile bool Corrupt;
        /// <summary>
        /// A Fetch for this partition is in flight. Only the fetcher touches it. When a leader moves, the old
        /// leader's Fetch may still be out; a second one to the new leader would hand the same records over twice.
        /// </summary>
        public volatile bool Fetching;
    }

    /// <summary>
    /// A partition's part of a Fetch response, or its error (a null partition: the group failed). The batches stay
    /// encoded until the application reaches them (Kafka's Java consumer parses its completed fetches in poll()
    /// likewise): the fetcher reads only their headers for the next offset and sends the next Fetch at once, so
    /// the node prepares it while the application's thread checks and decodes this one. Decoding before the next
    /// Fetch left the node idle for it, and the application idle for the node's read (issue #16).
    /// </summary>
    private sealed class Chunk(PartitionState? state, ReadOnlyMemory<byte> bytes, List<(int Start, int Length)>? batches,
        long fromOffset, int count, PlatformException? error)
    {
        public Chunk(PartitionState? state, PlatformException error) : this(state, default, null, 0, 0, error)
        {
        }

        public PartitionState? State { get; } = state;
        public PlatformException? Error { get; } = error;
        /// <summary>What the chunk counts against <see cref="ClientSettings.BufferedRecords"/>: its batches' record counts.</summary>
        public int Count { get; } = count;
        /// <summary>The records, once decoded; null before.</summary>
        public List<ConsumeResult>? Records { get; private set; }

        /// <summary>Checks and decodes the batches into records from <c>fromOffset</c> on; a corrupt batch throws.</summary>
        public List<ConsumeResult> Decode()
        {
            if (Records is { } done) return done;
            var (topic, partition) = (State!.Partition.Topic, State.Partition.Partition);
            var records = new List<ConsumeResult>(Count);
            var views = new List<RecordView>();
            var next = fromOffset;
            try
            {
                foreach (var (start, length) in batches!)
                {
                    views.Clear();
                    RecordBatch.Decode(bytes.Slice(start, length), views);
                    foreach (var view in views)
                    {
                        if (view.Offset < next) continue;
                        records.Add(new ConsumeResult(topic, partition, view.Offset, view.Key, view.Value, view.Headers,
                            DateTimeOffset.FromUnixTimeMilliseconds(view.Timestamp)));
                        next = view.Offset + 1;
                    }
                }
            }
            // ArgumentOutOfRange: a timestamp no DateTimeOffset can hold (stored before the broker validated them).
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or ArgumentOutOfRangeException)
            {
                throw new PlatformException(ErrorCode.CorruptMessage, $"{State.Partition} at offset {next}: {e.Message}");
            }
            return Records = records;
        }
    }

    private readonly PlatformConnection _connection;
    private readonly ClientSettings _settings;
    private readonly RetryPolicy _retry;
    private readonly AutoOffsetReset _reset;
    private readonly Channel<Chunk> _buffer = Channel.CreateUnbounded<Chunk>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _lock = new();
    private readonly Dictionary<TopicPartition, PartitionState> _assignments = new();
    private readonly string _lane;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConsumerGroupSettings? _group;
    private Task? _fetcher;
    private TaskCompletionSource _changed = NewSignal();
    private TaskCompletionSource _space = NewSignal();
    private int _buffered;
    private long _decoded;
    private long _nextEpoch;
    private Chunk? _current;
    private int _index;
    private GroupMembership? _membership;

    /// <summary>A consumer in a group: <see cref="Subscribe(IEnumerable{string})"/> lets the group assign partitions,
    /// and commits go to the group's coordinator.</summary>
    public PlatformConsumer(PlatformConnection connection, ConsumerGroupSettings group, AutoOffsetReset autoOffsetReset = AutoOffsetReset.Latest,
        ClientSettings? settings = null)
        : this(connection, autoOffsetReset, settings)
    {
        _group = group;
    }

    public PlatformConsumer(PlatformConnection connection, AutoOffsetReset autoOffsetReset = AutoOffsetReset.Latest, ClientSettings? settings = null)
    {
        _connection = connection;
        _settings = settings ?? connection.Settings;
        _retry = _settings.Retry;
        _reset = autoOffsetReset;
        _lane = connection.NewLane("fetch");
    }

    /// <summary>Raised after the group assigned partitions to this consumer (Kafka's onPartitionsAssigned).</summary>
    public event Action<IReadOnlyList<TopicPartition>>? PartitionsAssigned;

    /// <summary>Raised before partitions are taken away in a rebalance, after their positions were committed
    /// (with auto-commit); Kafka's onPartitionsRevoked.</summary>
    public event Action<IReadOnlyList<TopicPartition>>? PartitionsRevoked;

    /// <summary>
    /// Awaited before partitions are taken away in a rebalance, while this member may still commit them:
    /// the place to finish work on them and commit (Kafka's onPartitionsRevoked, asynchronous).
    /// </summary>
    public Func<IReadOnlyList<TopicPartition>, Task>? RevokingAsync { get; set; }

    /// <summary>Joins the group for these topics; the group's leader assigns partitions and they move as members come and go.</summary>
    public void Subscribe(IEnumerable<string> topics) => StartMembership(topics.ToList(), null);

    /// <summary>Subscribes to every topic matching <paramref name="pattern"/>, now and as topics are created or deleted.</summary>
    public void Subscribe(Regex pattern) => StartMembership(null, pattern);

    private void StartMembership(IReadOnlyList<string>? topics, Regex? pattern)
    {
        if (_group is null) throw new InvalidOperationException("Subscribe needs a consumer created with ConsumerGroupSettings (a group id)");
        if (_membership is not null) throw new InvalidOperationException("The consumer is already subscribed");
        _membership = new GroupMembership(_connection, this, _group, topics, pattern);
    }

    /// <summary>The group generation of the current assignment, once joined.</summary>
    public int? GenerationId => _membership is { GenerationId: >= 0 } m ? m.GenerationId : null;

    /// <summary>The member id the coordinator issued, once joined.</summary>
    public string? MemberId => _membership?.MemberId is { Length: > 0 } id ? id : null;

    /// <summary>
    /// Commits the positions of every assigned partition (the offset of the next record to consume), as a
    /// group member, or as a standalone consumer of the group when not subscribed.
    /// </summary>
    public Task CommitAsync(CancellationToken cancellationToken = default) => CommitAsync(Positions(), cancellationToken);

    /// <summary>Commits the given offsets (each the next offset to consume).</summary>
    public async Task CommitAsync(IReadOnlyList<TopicPartitionOffset> offsets, CancellationToken cancellationToken = default)
    {
        if (_group is null) throw new InvalidOperationException("Committing needs a consumer created with ConsumerGroupSettings (a group id)");
        if (_membership is not null)
        {
            await _membership.CommitAsync(offsets, cancellationToken);
            return;
        }
        await new PlatformAdmin(_connection).CommitOffsetsAsync(_group.GroupId, offsets, cancellationToken);
    }

    /// <summary>The group's committed offsets for the partitions (null where none is committed).</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long?>> CommittedAsync(IEnumerable<TopicPartition> partitions)
    {
        if (_group is null) throw new InvalidOperationException("Committed offsets need a consumer created with ConsumerGroupSettings (a group id)");
        var list = partitions.ToList();
        var offsets = await new PlatformAdmin(_connection).FetchOffsetsAsync(_group.GroupId, list);
        var result = list.ToDictionary(p => p, _ => (long?)null);
        foreach (var o in offsets) result[o.TopicPartition] = o.Offset >= 0 ? o.Offset : null;
        return result;
    }

    /// <summary>
    /// Kafka's offsetsForTimes: per partition, the earliest offset whose timestamp is at or after the given
    /// time, or null when there is none.
    /// </summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long?>> OffsetsForTimesAsync(IReadOnlyDictionary<TopicPartition, DateTimeOffset> times,
        CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<TopicPartition, long?>();
        foreach (var group in times.GroupBy(t => t.Value.ToUnixTimeMilliseconds()))
        foreach (var (tp, offset) in await _connection.ListOffsetsAsync(group.Select(g => g.Key).ToList(), group.Key, cancellationToken))
            result[tp] = offset >= 0 ? offset : null;
        return result;
    }

    /// <summary>Positions of the assigned partitions that have one.</summary>
    internal IReadOnlyList<TopicPartitionOffset> Positions()
    {
        lock (_lock)
            return _assignments.Values.Where(a => a.Position >= 0)
                .Select(a => new TopicPartitionOffset(a.Partition.Topic, a.Partition.Partition, a.Position)).ToList();
    }

    /// <summary>The group assigned these partitions: start each at the committed offset, or auto.offset.reset without one.</summary>
    internal async Task TakeAssignmentAsync(IReadOnlyList<TopicPartition> partitions, CancellationToken token)
    {
        var committed = partitions.Count == 0
            ? new Dictionary<TopicPartition, long?>()
            : await CommittedAsync(partitions);
        if (_reset == AutoOffsetReset.None && partitions.FirstOrDefault(p => committed.GetValueOrDefault(p) is null) is { Topic: not null } missing)
        {
            // Kafka's NoOffsetForPartitionException: with auto.offset.reset=none, guessing is not allowed.
            FailGroup(new PlatformException(ErrorCode.OffsetOutOfRange,
                $"No committed offset for {missing} in group {_group!.GroupId} and auto.offset.reset is none"));
            return;
        }
        var positions = partitions.Select(p => committed.GetValueOrDefault(p) is { } offset
            ? new TopicPartitionOffset(p.Topic, p.Partition, offset)
            : new TopicPartitionOffset(p.Topic, p.Partition, ResetSpec)).ToList();
        token.ThrowIfCancellationRequested();
        Assign(positions);
        PartitionsAssigned?.Invoke(partitions);
    }

    /// <summary>
    /// A revoke has begun: no record of these partitions is handed out from now on (not even the rest of a
    /// fetched chunk), and they are fetched no more. What was not handed out is read again by their next
    /// owner from the last commit, so the revoke need not wait for records it would only have emitted now.
    /// </summary>
    internal void StopEmitting(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
            foreach (var partition in partitions)
                if (_assignments.Remove(partition, out var state)) state.Removed = true;
        Changed();
    }

    internal void ReleaseAssignment(IReadOnlyList<TopicPartition> partitions)
    {
        PartitionsRevoked?.Invoke(partitions);
        Assign(Array.Empty<TopicPartition>());
    }

    /// <summary>A group error that retrying cannot fix (e.g. InvalidSessionTimeout) surfaces from ConsumeAsync.</summary>
    internal void FailGroup(PlatformException error) => _buffer.Writer.TryWrite(new Chunk(null, error));

    private long ResetSpec => _reset == AutoOffsetReset.Earliest ? TopicPartitionOffset.Beginning : TopicPartitionOffset.End;

    public IReadOnlyCollection<TopicPartition> Assignment
    {
        get
        {
            lock (_lock) return _assignments.Keys.ToList();
        }
    }

    /// <summary>Replaces the assignment; new partitions start at auto.offset.reset unless sought.</summary>
    public void Assign(IEnumerable<TopicPartition> partitions)
    {
        var wanted = partitions.ToHashSet();
        lock (_lock)
        {
            foreach (var gone in _assignments.Keys.Where(p => !wanted.Contains(p)).ToList())
            {
                _assignments[gone].Removed = true;
                _assignments.Remove(gone);
            }
            foreach (var partition in wanted.Where(p => !_assignments.ContainsKey(p)))
                Start(partition, ResetSpec, _reset == AutoOffsetReset.None);
        }
        Changed();
    }

    /// <summary>Assigns the partitions at the given offsets (or <see cref="TopicPartitionOffset.Beginning"/>/<see cref="TopicPartitionOffset.End"/>).</summary>
    public void Assign(IEnumerable<TopicPartitionOffset> positions)
    {
        var list = positions.ToList();
        Assign(list.Select(p => p.TopicPartition));
        foreach (var position in list) Seek(position);
    }

    /// <summary>Moves a partition's position; records fetched from the old position are dropped.</summary>
    public void Seek(TopicPartitionOffset position)
    {
        lock (_lock)
        {
            if (!_assignments.Remove(position.TopicPartition, out var current))
                throw new InvalidOperationException($"{position.TopicPartition} is not assigned to this consumer");
            current.Removed = true;
            Start(position.TopicPartition, position.Offset, failOutOfRange: false);
        }
        Changed();
    }

    public void SeekToBeginning(IEnumerable<TopicPartition> partitions)
    {
        foreach (var p in partitions) Seek(new TopicPartitionOffset(p.Topic, p.Partition, TopicPartitionOffset.Beginning));
    }

    public void SeekToEnd(IEnumerable<TopicPartition> partitions)
    {
        foreach (var p in partitions) Seek(new TopicPartitionOffset(p.Topic, p.Partition, TopicPartitionOffset.End));
    }

    /// <summary>Records fetched and not yet handed out, as counted against <see cref="ClientSettings.BufferedRecords"/>.</summary>
    internal int BufferedRecords => Volatile.Read(ref _buffered);

    /// <summary>Records decoded so far: only chunks the application reached are (the mechanism specs read it).</summary>
    internal long DecodedRecords => Interlocked.Read(ref _decoded);

    /// <summary>The offset of the next record the application will get from the partition, once known.</summary>
    public long? Position(TopicPartition partition)
    {
        lock (_lock) return _assignments.TryGetValue(partition, out var a) && a.Position >= 0 ? a.Position : null;
    }

    /// <summary>The next record, or null when <paramref name="timeout"/> passes without one.</summary>
    public async Task<ConsumeResult?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (TryTake(out var ready)) return ready;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            return await ConsumeAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The next record; waits until one arrives. A partition's error is thrown as a <see cref="PlatformException"/>.</summary>
    public Task<ConsumeResult> ConsumeAsync(CancellationToken cancellationToken) =>
        TryTake(out var ready) ? Task.FromResult(ready!) : ConsumeSlowAsync(cancellationToken);

    private async Task<ConsumeResult> ConsumeSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryTake(out var ready)) return ready!;
            if (!await _buffer.Reader.WaitToReadAsync(cancellationToken)) throw new ChannelClosedException("The consumer was disposed");
        }
    }

    /// <summary>
    /// The next buffered record of a partition still assigned at the same epoch; an error chunk is thrown.
    /// The hot path: no lock, no allocation.
    /// </summary>
    private bool TryTake(out ConsumeResult? record)
    {
        while (true)
        {
            if (_current is { State: { } state, Error: null } current && !state.Removed && !state.Corrupt)
            {
                var records = current.Records ?? DecodeCurrent(current, state);
                if (_index < records.Count)
                {
                    record = records[_index++];
                    state.Position = record.Offset + 1;
                    if (_index == records.Count) Release();
                    return true;
                }
            }
            if (_current is not null) Release();
            if (!_buffer.Reader.TryRead(out var chunk))
            {
                record = null;
                return false;
            }
            if (chunk.Error is { } error)
            {
                if (chunk.State is null || !chunk.State.Removed) throw error;
                continue;
            }
            _current = chunk;
            _index = 0;
        }
    }

    /// <summary>
    /// Decodes the chunk the application reached. A corrupt batch stops its partition (as an error from the fetcher
    /// would) and drops what was fetched after it; the error goes to the application.
    /// </summary>
    private List<ConsumeResult> DecodeCurrent(Chunk chunk, PartitionState state)
    {
        try
        {
            var records = chunk.Decode();
            Interlocked.Add(ref _decoded, records.Count);
            return records;
        }
        catch (PlatformException)
        {
            state.Corrupt = true;
            lock (_lock) state.Stopped = true;
            Release();
            throw;
        }
    }

    /// <summary>Done with the current chunk: its records no longer count against the buffer.</summary>
    private void Release()
    {
        var count = _current?.Count ?? 0;
        _current = null;
        if (count > 0 && Interlocked.Add(ref _buffered, -count) < _settings.BufferedRecords) Signal(ref _space);
    }

    // Called under _lock.
    private void Start(TopicPartition partition, long offset, bool failOutOfRange)
    {
        var state = new PartitionState(partition, ++_nextEpoch, offset, failOutOfRange);
        if (offset >= 0) state.Position = offset;
        _assignments[partition] = state;
        _fetcher ??= Task.Run(() => FetchLoopAsync(_stop.Token));
    }

    private void Changed() => Signal(ref _changed);

    private void Signal(ref TaskCompletionSource signal)
    {
        TaskCompletionSource fired;
        lock (_lock)
        {
            fired = signal;
            signal = NewSignal();
        }
        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The fetcher: resolves missing positions, sends one Fetch to each leader that has none in flight,
    /// and wakes when a fetch completes, the assignment changes, buffer space frees up, or a retry is due.
    /// </summary>
    private async Task FetchLoopAsync(CancellationToken token)
    {
        var inFlight = new Dictionary<int, Task>();
        var failures = 0; // in a row: the retry policy's backoff grows with them
        try
        {
            while (!token.IsCancellationRequested)
            {
                Task changed, space;
                List<PartitionState> work;
                lock (_lock)
                {
                    changed = _changed.Task;
                    space = _space.Task;
                    work = _assignments.Values.Where(s => !s.Stopped).ToList();
                }
                var waitForRetry = false;
                if (Volatile.Read(ref _buffered) < _settings.BufferedRecords)
                {
                    waitForRetry = await ResolvePositionsAsync(work.Where(s => s.FetchOffset < 0).ToList(), token);
                    var byLeader = new Dictionary<int, List<(PartitionState State, long Offset)>>();
                    foreach (var state in work)
                    {
                        long offset;
                        lock (_lock) offset = state.FetchOffset;
                        if (offset < 0 || state.Removed || state.Fetching) continue;
                        var leader = await LeaderOfAsync(state, token);
                        if (leader is null)
                        {
                            waitForRetry = true;
                            continue;
                        }
                        if (inFlight.ContainsKey(leader.Value)) continue;
                        if (!byLeader.TryGetValue(leader.Value, out var list)) byLeader[leader.Value] = list = [];
                        list.Add((state, offset));
                        state.Fetching = true;
                    }
                    foreach (var (node, partitions) in byLeader) inFlight[node] = FetchAsync(node, partitions, token);
                }
                var wake = new List<Task>(inFlight.Values) { changed };
                if (Volatile.Read(ref _buffered) >= _settings.BufferedRecords) wake.Add(space);
                if (waitForRetry) wake.Add(Task.Delay(_retry.Backoff(failures + 1), token));
                await Task.WhenAny(wake);
                if (waitForRetry) failures++;
                foreach (var (node, task) in inFlight.Where(f => f.Value.IsCompleted).ToList())
                {
                    inFlight.Remove(node);
                    if (task.IsFaulted && task.Exception?.InnerException is not PlatformException) throw task.Exception!.InnerException!;
                    if (task.IsFaulted) await Task.Delay(_retry.Backoff(++failures), token); // retriable: the leader is looked up again
                    else if (!waitForRetry) failures = 0;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            FailGroup(e as PlatformException ?? new PlatformException(ErrorCode.UnknownServerError, $"The consumer's fetcher failed: {e.Message}"));
        }
    }

    /// <summary>The node id of the partition's leader; null to retry later. A partition that does not exist is failed.</summary>
    private async Task<int?> LeaderOfAsync(PartitionState state, CancellationToken token)
    {
        var (topic, partition) = (state.Partition.Topic, state.Partition.Partition);
        try
        {
            token.ThrowIfCancellationRequested();
            var route = await _connection.Cluster.TopicAsync(topic);
            if (partition < 0 || partition >= route.PartitionCount) route = await _connection.Cluster.TopicAsync(topic, refresh: true);
            if (partition < 0 || partition >= route.PartitionCount)
                throw new PlatformException(ErrorCode.UnknownTopicOrPartition, $"Topic '{topic}' has no partition {partition}");
            var leader = route.Leaders[partition];
            if (leader < 0) _connection.Cluster.Invalidate(topic);
            return leader < 0 ? null : leader;
        }
        catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
        {
            return null;
        }
        catch (PlatformException e)
        {
            Fail(state, e);
            return null;
        }
    }

    /// <summary>ListOffsets for partitions whose position is a spec (beginning or end); returns whether some must be retried.</summary>
    private async Task<bool> ResolvePositionsAsync(List<PartitionState> states, CancellationToken token)
    {
        var retry = false;
        foreach (var group in states.GroupBy(s => s.FetchOffset))
        {
            try
            {
                var offsets = await _connection.ListOffsetsAsync(group.Select(s => s.Partition).ToList(),
                    group.Key == TopicPartitionOffset.Beginning ? KafkaRequests.Earliest : KafkaRequests.Latest, token);
                lock (_lock)
                {
                    foreach (var state in group)
                    {
                        if (!offsets.TryGetValue(state.Partition, out var offset)) continue;
                        state.FetchOffset = offset;
                        if (state.Position < 0) state.Position = offset;
                    }
                }
            }
            catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
            {
                retry = true;
            }
            catch (PlatformException e)
            {
                foreach (var state in group) Fail(state, e);
            }
        }
        return retry;
    }

    /// <summary>Stops a partition's fetching and hands its error to the application (a group member drops a deleted topic quietly).</summary>
    private void Fail(PartitionState state, PlatformException error)
    {
        lock (_lock) state.Stopped = true;
        if (_membership is not null && error.Code == ErrorCode.UnknownTopicOrPartition) return; // the next rebalance takes it away
        _buffer.Writer.TryWrite(new Chunk(state, error));
    }

    /// <summary>One Fetch to a leader for its partitions; the records go to the buffer, positions move on.</summary>
    private async Task FetchAsync(int node, List<(PartitionState State, long Offset)> partitions, CancellationToken token)
    {
        try
        {
            await FetchOnceAsync(node, partitions, token);
        }
        finally
        {
            foreach (var (state, _) in partitions) state.Fetching = false;
        }
    }

    private async Task FetchOnceAsync(int node, List<(PartitionState State, long Offset)> partitions, CancellationToken token)
    {
        FetchResponse response;
        try
        {
            var broker = await _connection.Cluster.NodeAsync(node, _lane);
            var request = new FetchRequest
            {
                ReplicaId = -1,
                MaxWaitMs = (int)_settings.FetchMaxWait.TotalMilliseconds,
                MinBytes = 1,
                MaxBytes = 64 * 1024 * 1024,
                IsolationLevel = 0,
                SessionId = 0,
                SessionEpoch = -1,
                Topics = partitions.GroupBy(p => p.State.Partition.Topic).Select(g => new FetchRequest.FetchTopic
                {
                    Topic = g.Key,
                    Partitions = g.Select(p => new FetchRequest.FetchPartition
                    {
                        Partition = p.State.Partition.Partition, FetchOffset = p.Offset, PartitionMaxBytes = _settings.MaxPartitionFetchBytes,
                        CurrentLeaderEpoch = -1, LogStartOffset = -1,
                    }).ToList(),
                }).ToList(),
            };
            response = await broker.RequestAsync<FetchResponse>(ApiKey.Fetch, 12, request, _settings.FetchMaxWait + _settings.FetchTimeout, token, minVersion: 4);
        }
        catch (PlatformException e) when (RetryPolicy.IsRetriable(e.Code))
        {
            foreach (var topic in partitions.Select(p => p.State.Partition.Topic).Distinct()) _connection.Cluster.Invalidate(topic);
            throw;
        }
        if (response.ErrorCode != 0) throw KafkaRequests.Error(response.ErrorCode, null, "Fetch failed");
        var byPartition = partitions.ToDictionary(p => p.State.Partition);
        var backoff = false;
        foreach (var topic in response.Responses)
        foreach (var data in topic.Partitions)
        {
            if (!byPartition.TryGetValue(new TopicPartition(topic.Topic, data.PartitionIndex), out var entry)) continue;
            var (state, offset) = entry;
            if (state.Removed) continue;
            var error = (ErrorCode)data.ErrorCode;
            if (error == ErrorCode.OffsetOutOfRange && !state.FailOutOfRange && _reset != AutoOffsetReset.None)
            {
                // Kafka's auto.offset.reset: a position outside the log (e.g. deleted by retention) restarts at its edge.
                lock (_lock)
                    if (!state.Removed) state.FetchOffset = _reset == AutoOffsetReset.Earliest || offset < data.LogStartOffset ? TopicPartitionOffset.Beginning : TopicPartitionOffset.End;
                continue;
            }
            if (error == ErrorCode.UnknownTopicOrPartition || RetryPolicy.IsRetriable(error))
            {
                // The leader moved, or the topic is gone: the next round looks it up again (and fails a deleted topic).
                _connection.Cluster.Invalidate(topic.Topic);
                backoff = true;
                continue;
            }
            if (error != ErrorCode.None)
            {
                Fail(state, new PlatformException(error, error == ErrorCode.OffsetOutOfRange
                    ? $"Offset {offset} is out of range for {state.Partition} (log start {data.LogStartOffset}, high watermark {data.HighWatermark})"
                    : $"Fetching {state.Partition} failed"));
                continue;
            }
            if (data.Records is not { Length: > 0 } set) continue;
            // The records' bytes as they came off the socket (a slice of the response's one copy); a set of several
            // parts does not come from the wire, and is joined. Only the batches' headers are read here: the next
            // offset and the record count; the application's thread checks and decodes them (Chunk).
            var bytes = set.Parts.Count == 1 ? set.Parts[0] : set.ToArray();
            var ranges = new List<(int Start, int Length)>();
            RecordBatch.Split(bytes.Span, ranges); // a trailing partial batch (cut at the fetch size) is fetched again
            var next = offset;
            var count = 0;
            foreach (var (start, length) in ranges)
            {
                var header = bytes.Span.Slice(start, length);
                next = Math.Max(next, RecordBatch.BaseOffset(header) + RecordBatch.LastOffsetDelta(header) + 1);
                count += Math.Clamp(RecordBatch.RecordCount(header), 0, length); // a record takes a byte at least: no overflow
            }
            lock (_lock)
            {
                // Records of a position that is no longer this partition's (an auto.offset.reset meanwhile) are dropped.
                if (state.Removed || state.FetchOffset != offset) continue;
                state.FetchOffset = next;
            }
            if (ranges.Count == 0) continue;
            Interlocked.Add(ref _buffered, count);
            _buffer.Writer.TryWrite(new Chunk(state, bytes, ranges, offset, count, null));
        }
        if (backoff) await Task.Delay(_retry.Backoff(1), token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_membership is not null) await _membership.DisposeAsync();
        lock (_lock)
        {
            foreach (var assignment in _assignments.Values) assignment.Removed = true;
            _assignments.Clear();
        }
        await _stop.CancelAsync();
        Changed(); // wakes the fetcher to see the cancellation
        if (_fetcher is not null)
        {
            try
            {
                await _fetcher;
            }
            catch (Exception e) when (e is PlatformException or OperationCanceledException)
            {
            }
        }
        _buffer.Writer.TryComplete();
        await _connection.Cluster.CloseLaneAsync(_lane);
    }
}
